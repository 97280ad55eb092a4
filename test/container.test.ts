/**
 * Issue 8, container: no Docker engine runs here, so this test reproduces the Dockerfile's stages
 * in clean folders: pack the project (stage 1's `npm pack`), install only the tarball with its
 * runtime dependencies (`--omit=dev --ignore-scripts`, as stage 2 does) into an empty folder, then
 * run the installed `physlite` with Node 24: `--help`, a small conversion and a small analysis
 * with plots (which needs jsroot, resvg and the packaged font at run time).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, PROJECT_ROOT } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-container-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string): { code: number; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' }, timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

describe('container stages, reproduced in clean folders', () => {
  it('the packed tarball installs without dev dependencies and converts and analyses with Node 24', () => {
    expect(existsSync(join(PROJECT_ROOT, 'dist', 'cli', 'main.js'))).toBe(true); // built by npm ci (prepare)
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const pack = sh(npm, ['pack', '--ignore-scripts', '--pack-destination', dir], PROJECT_ROOT);
    expect(pack.code, pack.out).toBe(0);
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    expect(tarball).toMatch(/^physlite-\d+\.\d+\.\d+\.tgz$/);

    const app = join(dir, 'app');
    spawnSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'image', private: true }));
    const install = sh(npm, ['install', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-package-lock', join(dir, tarball)], app);
    expect(install.code, install.out).toBe(0);
    const installed = join(app, 'node_modules');
    // Runtime only: no test tools, no TypeScript, no sources.
    for (const dev of ['vitest', 'typescript', '@duckdb', 'hyparquet-compressors', 'fast-check']) expect(existsSync(join(installed, dev)), dev).toBe(false);
    expect(existsSync(join(installed, 'physlite', 'src'))).toBe(false);
    expect(existsSync(join(installed, 'dejavu-fonts-ttf', 'ttf', 'DejaVuSans.ttf'))).toBe(true);

    const cli = join(installed, 'physlite', 'dist', 'cli', 'main.js');
    const run = (...args: string[]) => sh(process.execPath, [cli, ...args], app);
    const help = run('--help');
    expect(help.code, help.out).toBe(0);
    for (const cmd of ['inspect', 'dump', 'generate', 'convert', 'analyze', 'merge']) expect(help.out).toContain(cmd);
    expect(process.versions.node.split('.')[0]).toBe('24');

    const convert = run('convert', fixture('PHYSLITE_example.root'), '--out', join(app, 'parquet'), '--preset', 'analysis', '--workers', '1');
    expect(convert.code, convert.out).toBe(0);
    const analyze = run('analyze', join(app, 'parquet'), '--out', join(app, 'analysis'), '--workers', '1');
    expect(analyze.code, analyze.out).toBe(0);
    const png = join(app, 'analysis', 'plots', 'n_jets.png');
    expect(statSync(png).size).toBeGreaterThan(5000);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(join(app, 'analysis', 'report.html'), 'utf8')).toContain('<img src="plots/n_jets.svg"');
    expect(readFileSync(join(app, 'analysis', 'plots', 'n_jets.svg'), 'utf8')).toContain('<svg');
  }, 600_000);
});
