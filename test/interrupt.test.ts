/** Interrupted commands exit 130 (SIGINT) / 143 (SIGTERM) and leave no partial output behind. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, fixture } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runUntilKilled(args: string[], signal: NodeJS.Signals, afterMs: number): Promise<number | null> {
  const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'src/cli/main.ts'), ...args], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill(signal), afterMs);
  return new Promise((done) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

describe('interruption', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s during generate: exit %d, no partial file', async (signal, code) => {
    const out = join(dir, `${signal}.root`);
    const exit = await runUntilKilled(['generate', '--like', fixture('PHYSLITE_example.root'), '--events', '50000', '--out', out], signal, 2500);
    expect(exit).toBe(code);
    expect(readdirSync(dir).filter((f) => f.startsWith(signal))).toEqual([]);
  });
});

describe('interruption of convert', () => {
  it('SIGINT during a conversion: exit 130, no temporary or partial Parquet file', async () => {
    const { generateLike } = await import('../src/root/write/generate-like.ts');
    const { parseCompression } = await import('../src/root/compression/compress.ts');
    const { RootFile } = await import('../src/root/file.ts');
    const input = join(dir, 'input.root');
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    await generateLike({ template, events: 4000, out: input, compression: parseCompression('zstd:1') });
    await template.close();
    const out = join(dir, 'parquet');
    // Interrupt while the temporary Parquet file is being written (poll until it appears).
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'src/cli/main.ts'), 'convert', input, '--out', out, '--workers', '1'], { stdio: 'ignore' });
    let sawTemporary = false;
    const poll = setInterval(() => {
      const files = existsSync(out) ? readdirSync(out) : [];
      if (files.some((f) => f.includes('.tmp-'))) {
        sawTemporary = true;
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 50);
    const exit = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    clearInterval(poll);
    expect(sawTemporary).toBe(true);
    expect(exit).toBe(130);
    const left = readdirSync(out).filter((f) => f !== '_ledger');
    expect(left).toEqual([]);
  });
});

describe('SIGKILL and rerun', () => {
  it('a run killed outright mid-write is completed by a rerun: no temporaries left, output identical to an uninterrupted run', async () => {
    const { generateLike } = await import('../src/root/write/generate-like.ts');
    const { parseCompression } = await import('../src/root/compression/compress.ts');
    const { RootFile } = await import('../src/root/file.ts');
    const { readFileSync } = await import('node:fs');
    const { main } = await import('../src/cli/main.ts');
    const input = join(dir, 'killme.root');
    const template = await RootFile.open(fixture('PHYSLITE_example.root'));
    await generateLike({ template, events: 4000, out: input, compression: parseCompression('zstd:1') });
    await template.close();
    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'src/cli/main.ts'), 'convert', input, '--out', out, '--workers', '1'], { stdio: 'ignore', detached: true });
    let killedMidWrite = false;
    const poll = setInterval(() => {
      if (existsSync(out) && readdirSync(out).some((f) => f.includes('.tmp-'))) {
        killedMidWrite = true;
        clearInterval(poll);
        process.kill(-child.pid!, 'SIGKILL'); // the whole process group: parent and worker
      }
    }, 50);
    await new Promise((done) => child.on('exit', done));
    clearInterval(poll);
    expect(killedMidWrite).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // let the killed worker's pid go
    expect(readdirSync(out).some((f) => f.includes('.tmp-'))).toBe(true);
    // Rerun: stale temporaries removed, the input converted.
    expect(await main(['convert', input, '--out', out, '--workers', '1'], () => {})).toBe(0);
    const files = readdirSync(out).filter((f) => f !== '_ledger');
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    const clean = join(dir, 'clean');
    expect(await main(['convert', input, '--out', clean, '--workers', '1'], () => {})).toBe(0);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(out, files[0]!)).equals(readFileSync(join(clean, files[0]!)))).toBe(true);
  });
});
