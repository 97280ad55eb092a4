/**
 * Run ledgers: one JSON-lines object per run under `_ledger/` of the output store, never written
 * by two runs. Where the store can append (a local directory) every record is appended at once;
 * object stores cannot append, so the run's object is rewritten whole, at most every `flushMs`
 * and when the run ends. Earlier ledgers give each input's last status.
 */
import type { OutputStore } from './store.ts';

export class RunLedger {
  readonly name: string;
  private readonly store: OutputStore;
  private readonly lines: string[] = [];
  private lastFlush = 0;
  private dirty = false;
  private readonly flushMs: number;

  constructor(store: OutputStore, flushMs = 10_000) {
    this.store = store;
    this.name = `_ledger/${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`;
    this.flushMs = flushMs;
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
export async function lastStatuses(store: OutputStore, current: string): Promise<Map<string, LedgerStatus>> {
  const out = new Map<string, LedgerStatus>();
  for (const name of (await store.list('_ledger/')).filter((f) => f.endsWith('.jsonl'))) {
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
