/**
 * The conversion pool: `workers` child processes, one input each at a time (the work is CPU-bound
 * on decompression and encoding, and separate processes isolate memory: a worker's WebAssembly
 * memory never shrinks). A worker whose resident memory passed `maxRssBytes`, or that converted
 * `maxFilesPerWorker` files, is replaced after its current file. A worker that dies fails only its
 * current input (as a transient failure) and is replaced.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { PhysliteError, TransientError } from '../errors.ts';
import type { ConvertOptions, ConvertResult } from './convert-file.ts';
import type { RemoteOptions } from './convert-input.ts';
import type { InputSpec } from './replicas.ts';

/** A local path, or an input with its identity and replicas. */
export type PoolInput = string | InputSpec;

/**
 * Worker settings for bounded memory (peak RSS converting a 5,000-event PHYSLITE-like file):
 * - a fixed glibc mmap threshold (its initial 128 KiB): glibc raises the threshold after the first
 *   large free, so later large ArrayBuffers (decoded columns, IPC copies) came from the heap and
 *   stayed resident after being freed (558 -> 431 MiB; other C libraries ignore the variable);
 * - a 4 MiB V8 semi-space: the large data live outside the JS heap, and a larger young
 *   generation only held garbage longer (434 -> 396 MiB, the same CPU time).
 */
const WORKER_EXEC_ARGV = ['--max-semi-space-size=4'];
const workerEnv = (): NodeJS.ProcessEnv => ({ MALLOC_MMAP_THRESHOLD_: '131072', ...process.env });

const workerPath = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

export interface PoolOptions {
  workers: number;
  maxRssBytes: number;
  maxFilesPerWorker: number;
}

export class WorkerFailure extends PhysliteError {
  override readonly exitCode: number;
  constructor(message: string, context: Record<string, unknown>, exitCode: number, name: string) {
    super(message, context);
    this.name = name;
    this.exitCode = exitCode;
  }
}

interface Slot {
  child: ChildProcess;
  files: number;
  busy: boolean;
  rss: number;
}

export class ConversionPool {
  private readonly o: PoolOptions;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  /** Peak resident memory of any worker (its high-water mark, also within a file). */
  peakRss = 0;
  /** The reporting worker's resident memory after each finished file, in finishing order. */
  readonly rssHistory: number[] = [];
  workersStarted = 0;
  /** CPU time (user + system) the workers spent on the inputs, summed over inputs and workers. */
  cpuSeconds = 0;

  constructor(o: PoolOptions) {
    this.o = o;
  }

  private spawn(): Slot {
    const child = fork(workerPath, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: WORKER_EXEC_ARGV, env: workerEnv() });
    this.workersStarted++;
    return { child, files: 0, busy: false, rss: 0 };
  }

  /** Convert every input with at most `workers` in flight; `onResult` is called as each finishes. */
  async run<T extends PoolInput>(inputs: readonly T[], options: ConvertOptions & RemoteOptions, onResult: (input: T, result: ConvertResult | Error, seconds: number) => Promise<void>): Promise<void> {
    let next = 0;
    const runSlot = async (): Promise<void> => {
      let slot = this.spawn();
      this.slots.push(slot);
      try {
        while (next < inputs.length) {
          const input = inputs[next++]!;
          if (slot.files >= this.o.maxFilesPerWorker || slot.rss > this.o.maxRssBytes) {
            slot.child.disconnect();
            slot = this.replace(slot);
          }
          let outcome: ConvertResult | Error;
          const t0 = performance.now();
          try {
            outcome = await this.convert(slot, input, options);
          } catch (err) {
            outcome = err as Error;
            if (slot.child.exitCode !== null || slot.child.signalCode !== null) slot = this.replace(slot);
          }
          slot.files++;
          await onResult(input, outcome, (performance.now() - t0) / 1000);
        }
      } finally {
        if (slot.child.connected) slot.child.disconnect();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.workers, inputs.length) }, runSlot));
  }

  private replace(old: Slot): Slot {
    const i = this.slots.indexOf(old);
    const slot = this.spawn();
    this.slots[i] = slot;
    return slot;
  }

  private convert(slot: Slot, input: PoolInput, options: ConvertOptions & RemoteOptions): Promise<ConvertResult> {
    const id = this.nextId++;
    slot.busy = true;
    return new Promise((resolve, reject) => {
      const onMessage = (msg: { id: number; ok: boolean; result?: ConvertResult; error?: { name: string; message: string; context: Record<string, unknown>; exitCode: number }; rss: number; peakRss?: number; cpuSeconds?: number }): void => {
        if (msg.id !== id) return;
        cleanup();
        slot.rss = msg.rss;
        this.peakRss = Math.max(this.peakRss, msg.peakRss ?? msg.rss);
        this.rssHistory.push(msg.rss);
        this.cpuSeconds += msg.cpuSeconds ?? 0;
        if (msg.ok) resolve(msg.result!);
        else reject(new WorkerFailure(msg.error!.message, msg.error!.context, msg.error!.exitCode, msg.error!.name));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup();
        reject(new TransientError(`conversion worker ended (${signal ?? `exit code ${code}`}) while converting`, { file: typeof input === 'string' ? input : input.id }));
      };
      const cleanup = (): void => {
        slot.busy = false;
        slot.child.off('message', onMessage);
        slot.child.off('exit', onExit);
      };
      slot.child.on('message', onMessage);
      slot.child.on('exit', onExit);
      slot.child.send({ id, input, options });
    });
  }

  /** Stop every worker now (interruption). */
  kill(): void {
    for (const s of this.slots) if (s.child.exitCode === null) s.child.kill('SIGTERM');
  }

  /** Stop every worker and wait until they have exited (their exit removes their temporaries). */
  async stop(): Promise<number[]> {
    const pids = this.slots.map((s) => s.child.pid).filter((p): p is number => p !== undefined);
    await Promise.all(
      this.slots.map(
        (s) =>
          new Promise<void>((done) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return done();
            s.child.once('exit', () => done());
            s.child.kill('SIGTERM');
          }),
      ),
    );
    return pids;
  }
}
