/** Interrupted commands exit 130 (SIGINT) / 143 (SIGTERM) and leave no partial output behind. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
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

/** A 4000-event PHYSLITE-like input: big enough that its conversion is still writing when killed. */
async function makeInput(name: string): Promise<string> {
  const { generateLike } = await import('../src/root/write/generate-like.ts');
  const { parseCompression } = await import('../src/root/compression/compress.ts');
  const { RootFile } = await import('../src/root/file.ts');
  const input = join(dir, name);
  const template = await RootFile.open(fixture('PHYSLITE_example.root'));
  await generateLike({ template, events: 4000, out: input, compression: parseCompression('zstd:1') });
  await template.close();
  return input;
}

const hasTemporary = (out: string): boolean => existsSync(out) && readdirSync(out).some((f) => f.includes('.tmp-'));

/**
 * Runs `convert input --out out` in a child process and kills it (or, detached, its whole process
 * group: parent and worker) once a temporary Parquet file appears. Resolves with whether it was
 * killed mid-write and its exit code.
 */
async function convertKilledMidWrite(input: string, out: string, signal: NodeJS.Signals, group: boolean): Promise<{ killedMidWrite: boolean; exit: number | null }> {
  const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'src/cli/main.ts'), 'convert', input, '--out', out, '--workers', '1'], { stdio: 'ignore', detached: group });
  let killedMidWrite = false;
  const poll = setInterval(() => {
    if (!hasTemporary(out)) return;
    killedMidWrite = true;
    clearInterval(poll);
    if (group) process.kill(-child.pid!, signal);
    else child.kill(signal);
  }, 50);
  const exit = await new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  clearInterval(poll);
  return { killedMidWrite, exit };
}

describe('interruption of convert', () => {
  it('SIGINT during a conversion: exit 130, no temporary or partial Parquet file', async () => {
    const input = await makeInput('input.root');
    const out = join(dir, 'parquet');
    const { killedMidWrite, exit } = await convertKilledMidWrite(input, out, 'SIGINT', false);
    expect(killedMidWrite).toBe(true);
    expect(exit).toBe(130);
    const left = readdirSync(out).filter((f) => f !== '_ledger');
    expect(left).toEqual([]);
  });
});

describe('SIGKILL and rerun', () => {
  it('a run killed outright mid-write is completed by a rerun: no temporaries left, output identical to an uninterrupted run', async () => {
    const { main } = await import('../src/cli/main.ts');
    const input = await makeInput('killme.root');
    const out = join(dir, 'killed');
    const { killedMidWrite } = await convertKilledMidWrite(input, out, 'SIGKILL', true);
    expect(killedMidWrite).toBe(true);
    await new Promise((r) => setTimeout(r, 300)); // let the killed worker's pid go
    expect(hasTemporary(out)).toBe(true);
    // Rerun: stale temporaries removed, the input converted.
    expect(await main(['convert', input, '--out', out, '--workers', '1'], () => {})).toBe(0);
    const files = readdirSync(out).filter((f) => f !== '_ledger' && f !== '_manifest.json'); // the manifest marks the completed dataset
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    const clean = join(dir, 'clean');
    expect(await main(['convert', input, '--out', clean, '--workers', '1'], () => {})).toBe(0);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(out, files[0]!)).equals(readFileSync(join(clean, files[0]!)))).toBe(true);
  });
});
