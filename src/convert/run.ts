/**
 * One conversion run over a list of inputs, as `physlite convert` does it with or without a plan:
 * inputs whose output exists are skipped, inputs earlier runs recorded as failed are skipped unless
 * `resume` (with `retryTransient`, as a shard does, only the permanent failures are), the rest go to
 * the worker pool; every input gets a line in this run's ledger; one bad input never stops the run.
 * When every input has its verified output, `complete(store, entries)` runs last (the dataset
 * manifest, or a shard's manifest): nothing marks complete what is not.
 * Interrupted (SIGINT/SIGTERM): workers stop, their temporaries go, the ledger is written out.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { onShutdown } from '../cleanup.ts';
import { EXIT, PhysliteError, exitCodeOf } from '../errors.ts';
import type { Logger } from '../log.ts';
import { lastStatuses, RunLedger } from '../storage/ledger.ts';
import { LocalStore } from '../storage/local.ts';
import type { OutputStore } from '../storage/store.ts';
import { outputName } from './convert-file.ts';
import { storeFor } from './convert-input.ts';
import { inputSize } from './inputs.ts';
import { describeOutput, type ManifestEntry } from './manifest.ts';
import type { ConversionSettings } from './options.ts';
import { ConversionPool } from './pool.ts';
import type { InputSpec } from './replicas.ts';

export interface RunControl {
  force?: boolean;
  resume?: boolean;
  /** Retry inputs that earlier runs recorded as transiently failed (an engine's retry of a shard). */
  retryTransient?: boolean;
  /** Groups this run's ledger with those of the same shard (`shard-0007-`). */
  ledgerPrefix?: string;
  /** Written into the start record. */
  ledgerStart?: Record<string, unknown>;
  /** Objects to remove before any output changes (a manifest that would no longer be true). */
  staleWhenWriting: string[];
  /** Runs last, only when every input has its verified output. */
  complete: (store: OutputStore, entries: ManifestEntry[]) => Promise<string>;
}

export interface RunOutcome {
  converted: number;
  skipped: number;
  skippedFailed: number;
  failedPermanent: number;
  failedTransient: number;
  ledger: string;
  /** What `complete` said (where the manifest went), when it ran. */
  completed?: string;
  exitCode: number;
}

export function dataOptions(s: ConversionSettings): Record<string, unknown> {
  return { tree: s.tree ?? null, compression: s.compression, rowGroupBytes: s.rowGroupBytes ?? null, rowGroupRows: s.rowGroupRows ?? null, selection: s.selection };
}

export async function runConversion(inputs: readonly InputSpec[], outDir: string, s: ConversionSettings, log: Logger, c: RunControl): Promise<RunOutcome> {
  const store = storeFor(outDir, s.remote.store);
  await store.prepare();
  const ledger = new RunLedger(store, 10_000, c.ledgerPrefix ?? '');
  if (c.ledgerStart) await ledger.begin(c.ledgerStart);
  const o: RunOutcome = { converted: 0, skipped: 0, skippedFailed: 0, failedPermanent: 0, failedTransient: 0, ledger: ledger.location, exitCode: EXIT.ok };
  const now = (): string => new Date().toISOString();
  const manifest: ManifestEntry[] = [];
  const existing: { input: string; name: string }[] = [];
  for (const spec of inputs) for (const why of spec.skipped ?? []) log.info(`${spec.id}: replica set aside: ${why}`);
  const earlier = await lastStatuses(store, ledger.name, c.ledgerPrefix ?? '');
  const probes = pLimit(16);
  const sizes = await Promise.all(
    inputs.map((spec) => probes(() => (spec.replicas.length === 0 ? Promise.resolve(undefined) : inputSize(spec, s.remote.open).catch((err: unknown) => err as Error)))),
  );
  const jobs: InputSpec[] = [];
  for (const [i, spec] of inputs.entries()) {
    const input = spec.id;
    const size = sizes[i];
    const output = typeof size === 'number' ? outputName(input, size) : undefined;
    const before = earlier.get(input);
    if (!c.resume && !c.force && before?.status === 'failed' && !(c.retryTransient && before.transient)) {
      o.skippedFailed++;
      // Still not converted: it counts in the exit code as it failed before.
      if (before.transient) o.failedTransient++;
      else o.failedPermanent++;
      await ledger.record({ time: now(), input, status: 'skipped-failed', transient: before.transient, note: 'failed in an earlier run; --resume retries it' });
    } else if (!c.force && output && (await store.stat(output))) {
      o.skipped++;
      existing.push({ input, name: output });
      await ledger.record({ time: now(), input, size, status: 'skipped', output: store.where(output) });
    } else if (size instanceof Error || size === undefined) {
      // Not even its size could be had (or no readable replica): it fails here, without a worker.
      const err = size ?? new PhysliteError(`no replica that physlite can read: ${(spec.skipped ?? []).join('; ')}`, { file: input });
      const code = exitCodeOf(err);
      if (code === EXIT.transient) o.failedTransient++;
      else o.failedPermanent++;
      const message = err instanceof PhysliteError ? err.describe() : err.message;
      log.error(`failed ${input}: ${message}`, { exitCode: code });
      await ledger.record({ time: now(), input, status: 'failed', error: message, transient: code === EXIT.transient });
    } else jobs.push(spec);
  }
  // Outputs are about to change: a manifest of an earlier run no longer describes the dataset.
  if (jobs.length > 0) for (const name of c.staleWhenWriting) await store.remove(name);
  const pool = new ConversionPool({ workers: s.workers, maxRssBytes: s.maxRssBytes, maxFilesPerWorker: s.maxFilesPerWorker });
  const stop = (): void => pool.kill();
  process.once('exit', stop);
  // Interrupted: stop the workers, then remove what a killed worker could not (its temporaries).
  const offShutdown = onShutdown(async () => {
    const pids = await pool.stop();
    if (store instanceof LocalStore) {
      const files = await readdir(outDir).catch(() => [] as string[]);
      await Promise.all(files.filter((f) => pids.some((p) => f.endsWith(`.tmp-${p}`))).map((f) => rm(join(outDir, f), { force: true })));
    }
    await ledger.finish({ interrupted: true }).catch(() => undefined);
  });
  const total = jobs.length;
  let finished = 0;
  let eventsDone = 0;
  let bytesDone = 0;
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  let pending = jobs;
  for (let attempt = 0; attempt <= s.retries && pending.length > 0; attempt++) {
    const again: InputSpec[] = [];
    const options = { outDir, force: Boolean(c.force), tree: s.tree, compression: s.compression, rowGroupBytes: s.rowGroupBytes, rowGroupRows: s.rowGroupRows, selection: s.selection, ...s.remote };
    await pool.run(pending, options, async (spec, outcome, seconds) => {
      const input = spec.id;
      const record: Record<string, unknown> = { time: now(), input, attempt: attempt + 1 };
      if (outcome instanceof Error) {
        const code = exitCodeOf(outcome);
        record.status = 'failed';
        record.error = outcome instanceof PhysliteError ? outcome.describe() : outcome.message;
        record.transient = code === EXIT.transient;
        if (code === EXIT.transient && attempt < s.retries) {
          again.push(spec);
          record.status = 'retrying';
        } else if (code === EXIT.transient) o.failedTransient++;
        else o.failedPermanent++;
        log.error(`failed ${input}: ${record.error}`, { exitCode: code, attempt: attempt + 1 });
      } else {
        Object.assign(record, { status: 'done', output: outcome.output, entries: outcome.entries, columns: outcome.columns, bytesIn: outcome.bytesIn, bytesOut: outcome.bytesOut, crc32c: outcome.crc32c });
        if (outcome.alreadyThere) record.note = 'already written by another attempt (verified)';
        manifest.push({ input, object: outputName(input, outcome.bytesIn), entries: outcome.entries, size: outcome.bytesOut, crc32c: outcome.crc32c ?? '' });
        o.converted++;
        eventsDone += outcome.entries;
        bytesDone += outcome.bytesIn;
        if (!tty) log.info(`converted ${input}`, { entries: outcome.entries, columns: outcome.columns, output: outcome.output });
      }
      if (record.status !== 'retrying') finished++;
      record.seconds = +seconds.toFixed(3);
      await ledger.record(record);
      if (tty) {
        const sec = (performance.now() - t0) / 1000;
        const rate = bytesDone / 1e6 / Math.max(sec, 1e-9);
        const eta = finished > 0 ? ((total - finished) * sec) / finished : 0;
        process.stderr.write(`\rconvert: ${finished}/${total} files, ${eventsDone} events, ${rate.toFixed(1)} MB/s, ETA ${Math.round(eta)} s   `);
      }
    });
    pending = again;
  }
  if (tty) process.stderr.write('\n');
  process.off('exit', stop);
  offShutdown();
  if (o.failedPermanent + o.failedTransient === 0) {
    // Every input has its verified output: the manifest goes last, so its presence means complete.
    for (const e of existing) manifest.push(await describeOutput(store, e.input, e.name));
    o.completed = await c.complete(store, manifest);
  }
  o.exitCode = o.failedTransient ? EXIT.transient : o.failedPermanent ? EXIT.permanent : EXIT.ok;
  if (c.ledgerStart) await ledger.finish({ exitCode: o.exitCode, converted: o.converted, skipped: o.skipped, failed: o.failedPermanent + o.failedTransient });
  else await ledger.flush();
  return o;
}
