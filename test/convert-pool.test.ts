/** Issue 5: the conversion pool runs each input in a worker process, replaces workers, survives a dead worker. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConvertResult } from '../src/convert/convert-file.ts';
import { ConversionPool } from '../src/convert/pool.ts';
import { EXIT, exitCodeOf } from '../src/errors.ts';
import { fixture } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ConversionPool', () => {
  it('converts in worker processes and replaces a worker after --max-files-per-worker files', async () => {
    const pool = new ConversionPool({ workers: 2, maxRssBytes: 4 * 2 ** 30, maxFilesPerWorker: 1 });
    const inputs = ['uproot-HZZ.root', 'uproot-Zmumu.root', 'uproot-HZZ-lz4.root', 'uproot-Zmumu-zstd.root'].map(fixture);
    const results = new Map<string, ConvertResult | Error>();
    await pool.run(inputs, { outDir: dir }, async (input, r) => {
      results.set(input, r);
    });
    expect([...results.values()].every((r) => !(r instanceof Error))).toBe(true);
    expect(pool.workersStarted).toBe(4);
    expect(pool.peakRss).toBeGreaterThan(10 * 2 ** 20);
    expect(readdirSync(dir).filter((f) => f.endsWith('.parquet'))).toHaveLength(4);
  });

  it('an input whose worker dies fails as transient, the others still convert', async () => {
    const pool = new ConversionPool({ workers: 1, maxRssBytes: 4 * 2 ** 30, maxFilesPerWorker: 100 });
    const outDir = mkdtempSync(join(dir, 'kill-'));
    const results: (ConvertResult | Error)[] = [];
    let killed = false;
    const inputs = [fixture('PHYSLITE_example.root'), fixture('uproot-HZZ.root')];
    const run = pool.run(inputs, { outDir }, async (_input, r) => {
      results.push(r);
    });
    // Kill the worker while it converts the first (larger) input.
    setTimeout(() => {
      killed = true;
      (pool as unknown as { slots: { child: { kill(s: string): void } }[] }).slots[0]!.child.kill('SIGKILL');
    }, 150);
    await run;
    expect(killed).toBe(true);
    expect(results[0]).toBeInstanceOf(Error);
    expect(exitCodeOf(results[0])).toBe(EXIT.transient);
    expect(results[1]).not.toBeInstanceOf(Error);
    expect(pool.workersStarted).toBe(2);
  });
});
