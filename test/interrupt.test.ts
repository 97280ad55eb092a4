/** Interrupted commands exit 130 (SIGINT) / 143 (SIGTERM) and leave no partial output behind. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
