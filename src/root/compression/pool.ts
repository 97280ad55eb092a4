/**
 * DecompressPool: decompress baskets on worker threads while the main thread deserializes.
 * Requests are batched (a message per ~256 kB of compressed input, not per basket, because a
 * message costs tens of microseconds) and sent to the least busy worker. Workers are unref'd
 * while idle, so an open pool never keeps the process alive. Errors come back as
 * DecompressionError with the caller's context and the block's file offset.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DecompressionError, type ErrorContext } from '../../errors.ts';
import type { BatchItem, ItemResult } from './worker.ts';

interface Pending {
  item: BatchItem;
  context: ErrorContext;
  resolve: (out: Uint8Array) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
}

const BATCH_BYTES = 256 * 1024;
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

export class DecompressPool {
  private readonly slots: Slot[] = [];
  private readonly inflight = new Map<number, Pending[]>();
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private nextId = 1;
  private flushScheduled = false;
  private closed = false;

  constructor(size = Math.max(1, availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(workerUrl);
      const slot: Slot = { worker, busy: 0 };
      worker.on('message', (msg: { id: number; results: ItemResult[] }) => this.onResults(slot, msg));
      worker.on('error', (err) => this.failAll(err));
      worker.unref();
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  decompress(src: Uint8Array, outSize: number, context: ErrorContext, base: number): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new Error('decompression pool is closed'));
    return new Promise((resolve, reject) => {
      // A copy of just these bytes: posting a view would clone its whole (coalesced) buffer.
      const item: BatchItem = { src: src.slice(), outSize, base };
      this.queue.push({ item, context, resolve, reject });
      this.queuedBytes += src.length;
      if (this.queuedBytes >= BATCH_BYTES) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    this.inflight.set(id, batch);
    if (slot.busy++ === 0) slot.worker.ref();
    slot.worker.postMessage(
      { id, items: batch.map((p) => p.item) },
      batch.map((p) => p.item.src.buffer as ArrayBuffer),
    );
  }

  private onResults(slot: Slot, msg: { id: number; results: ItemResult[] }): void {
    if (--slot.busy === 0) slot.worker.unref();
    const batch = this.inflight.get(msg.id);
    this.inflight.delete(msg.id);
    if (!batch) return;
    msg.results.forEach((r, i) => {
      const p = batch[i]!;
      if (r.ok) p.resolve(r.out);
      else p.reject(new DecompressionError(r.message, { ...p.context, offset: r.offset ?? p.context.offset }));
    });
  }

  private failAll(err: Error): void {
    for (const batch of this.inflight.values()) for (const p of batch) p.reject(new DecompressionError(`decompression worker failed: ${err.message}`, p.context));
    this.inflight.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

let shared: DecompressPool | undefined;

/** One pool per process, made on first use. */
export function sharedDecompressPool(): DecompressPool {
  shared ??= new DecompressPool();
  return shared;
}
