/**
 * Run ledgers: one JSON-lines object per run under `_ledger/` of the output store, never written
 * by two runs. Where the store can append (a local directory) every record is appended at once;
 * object stores cannot append, so the run's object is rewritten whole, at most every `flushMs`
 * and when the run ends. Earlier ledgers give each input's last status. A run may also mark its
 * start and end and beat while it runs (`begin`/`finish`), so that others can tell a running run from
 * one that died: a ledger without an end record whose last record is older than a few beats.
 */
import { hostname } from 'node:os';
import type { OutputStore } from './store.ts';

/** How often a running run writes a heartbeat record; a ledger silent for 5 beats is stale. */
export const HEARTBEAT_MS = 60_000;

export class RunLedger {
  readonly name: string;
  private readonly store: OutputStore;
  private readonly lines: string[] = [];
  private lastFlush = 0;
  private dirty = false;
  private readonly flushMs: number;
  private beat: NodeJS.Timeout | undefined;

  /** `prefix` groups the ledgers of one shard (`shard-0007-`). */
  constructor(store: OutputStore, flushMs = 10_000, prefix = '') {
    this.store = store;
    this.name = `_ledger/${prefix}${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`;
    this.flushMs = flushMs;
  }

  /** A start record, then a heartbeat every `beatMs` until `finish`. */
  async begin(extra: Record<string, unknown> = {}, beatMs = HEARTBEAT_MS): Promise<void> {
    await this.record({ time: new Date().toISOString(), event: 'start', host: hostname(), pid: process.pid, ...extra });
    await this.flush();
    this.beat = setInterval(() => {
      void this.record({ time: new Date().toISOString(), event: 'heartbeat' }).then(() => this.flush()).catch(() => undefined);
    }, beatMs);
    this.beat.unref();
  }

  /** The end record (the run is over, whatever its outcome), written out at once. */
  async finish(extra: Record<string, unknown> = {}): Promise<void> {
    clearInterval(this.beat);
    await this.record({ time: new Date().toISOString(), event: 'end', ...extra });
    await this.flush();
  }

  get location(): string {
    return this.store.where(this.name);
  }

  async record(r: Record<string, unknown>): Promise<void> {
    const line = JSON.stringify(r) + '\n';
    if (this.store.append) return this.store.append(this.name, line);
    this.lines.push(line);
    this.dirty = true;
    if (Date.now() - this.lastFlush >= this.flushMs) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.store.append || !this.dirty) return;
    this.dirty = false;
    this.lastFlush = Date.now();
    await this.store.writeText(this.name, this.lines.join(''));
  }
}

export interface LedgerStatus {
  status: string;
  transient: boolean;
}

/** The last status each input had in the earlier ledgers of this store. */
export async function lastStatuses(store: OutputStore, current: string, prefix = ''): Promise<Map<string, LedgerStatus>> {
  const out = new Map<string, LedgerStatus>();
  for (const name of (await store.list(`_ledger/${prefix}`)).filter((f) => f.endsWith('.jsonl'))) {
    if (name === current) continue;
    const text = await store.readText(name).catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as { input: string; status: string; transient?: boolean };
        if (r.status === 'done' || r.status === 'failed') out.set(r.input, { status: r.status, transient: r.transient === true });
      } catch {
        // a line cut by a crash: ignore it
      }
    }
  }
  return out;
}
