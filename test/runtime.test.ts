/** Issue 2 foundation: the project runs on Node 24 and `npm ci` leaves a working `physlite`. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/fixtures.ts';

const pkg = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8'));

describe('runtime', () => {
  it('runs on Node 24 (the pinned devDependency), not the machine Node 20', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(24);
    expect(pkg.devDependencies.node).toMatch(/^\^?24/);
    expect(pkg.engines.node).toContain('24');
    expect(pkg.allowScripts).toEqual({ node: true, canvas: false });
  });

  it('the built bin answers --version and --help', () => {
    const bin = resolve(PROJECT_ROOT, pkg.bin.physlite);
    expect(existsSync(bin), `${bin} is built by npm ci (prepare)`).toBe(true);
    const v = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(pkg.version);
    const h = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('inspect <file>');
    expect(h.stdout).toContain('dump <file>');
  });

  it('uses no dependency that compiles a native add-on at install time', () => {
    const lock = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package-lock.json'), 'utf8'));
    const allowed = new Set(['node_modules/node', 'node_modules/canvas']);
    const withScripts = Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean; dev?: boolean; optional?: boolean }>)
      .filter(([name, p]) => p.hasInstallScript && !allowed.has(name))
      .map(([name]) => name);
    expect(withScripts).toEqual([]);
  });
});
