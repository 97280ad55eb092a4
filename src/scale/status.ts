/**
 * Where a plan stands, from what is in its destination and nothing else (no scheduler state):
 * the outputs (one listing), the shards' manifests (`_shards/shard-NNNN.json`, counted only when
 * they name this plan) and the shards' ledgers (`_ledger/shard-NNNN-*.jsonl` of runs of this plan).
 * A shard is `done` when its manifest is there (and, for a conversion, every output); `running` when one of its runs has no end record
 * and wrote a record (a heartbeat at least every minute) within `staleMs`; `failed` when inputs
 * failed in its last attempts and have no output; `missing` otherwise (never started, or died
 * without recording a failure: a rerun is needed). `done`/`failed` count inputs; `bytes` are the
 * bytes of the shard's outputs that exist (conversion) or the bytes its analysis read.
 */
import pLimit from 'p-limit';
import { outputName } from '../convert/convert-file.ts';
import { HEARTBEAT_MS } from '../storage/ledger.ts';
import type { OutputStore } from '../storage/store.ts';
import { planHash, shardLedgerPrefix, shardManifest, type Plan } from './plan.ts';

export type ShardState = 'done' | 'running' | 'failed' | 'missing';

/** The JSON contract of `physlite status --json` (one per shard). */
export interface ShardStatus {
  index: number;
  state: ShardState;
  inputs: number;
  done: number;
  failed: number;
  bytes: number;
}

export interface PlanStatus {
  shards: ShardStatus[];
  complete: boolean;
}

/** More than the contract: what finalize needs. */
export interface ShardDetail {
  /** The shard's manifest, parsed, when it names this plan. */
  manifest?: Record<string, unknown>;
  /** Failures that a retry cannot mend (exit 2 inputs). */
  permanent: number;
  /** The inputs that failed, with their last error. */
  errors: { input: string; error: string; transient: boolean }[];
}

interface LedgerRecord {
  time?: string;
  event?: string;
  plan?: string;
  input?: string;
  status?: string;
  transient?: boolean;
  error?: string;
  bytesRead?: number;
}

function parseLedger(text: string): LedgerRecord[] {
  const out: LedgerRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as LedgerRecord);
    } catch {
      // a line cut by a crash
    }
  }
  return out;
}

export async function planStatus(plan: Plan, store: OutputStore, o: { now?: number; staleMs?: number } = {}): Promise<{ status: PlanStatus; details: ShardDetail[] }> {
  const now = o.now ?? Date.now();
  const staleMs = o.staleMs ?? 5 * HEARTBEAT_MS;
  const hash = planHash(plan);
  const sizes = new Map((await store.listSized('')).map((x) => [x.name, x.size]));
  const ledgers = await store.list('_ledger/shard-');
  const manifests = new Set(await store.list('_shards/'));
  // Ledgers grouped by shard once; shards are read 16 at a time.
  const byShard = new Map<string, string[]>();
  for (const name of ledgers) {
    const key = /^_ledger\/shard-\d+-/.exec(name)?.[0];
    if (key) byShard.get(key)?.push(name) ?? byShard.set(key, [name]);
  }
  const limit = pLimit(16);
  const read = await Promise.all(
    plan.shards.map((shard) =>
      limit(async (): Promise<{ status: ShardStatus; detail: ShardDetail }> => {
        const i = shard.index;
        let manifest: Record<string, unknown> | undefined;
        if (manifests.has(shardManifest(i))) {
          const m = JSON.parse(await store.readText(shardManifest(i))) as Record<string, unknown>;
          if (m.plan === hash && m.complete === true) manifest = m;
        }
        // A conversion shard is done only while its outputs are all there (one was deleted: rerun it).
        if (manifest && plan.kind === 'convert' && !shard.inputs.every((x) => sizes.has(outputName(x.id, x.size)))) manifest = undefined;
        // Runs of this shard under this plan, oldest first (ledger names start with their time);
        // a done shard's are not needed.
        const last = new Map<string, LedgerRecord>();
        let running = false;
        for (const name of manifest ? [] : (byShard.get(`_ledger/${shardLedgerPrefix(i)}`) ?? [])) {
          const records = parseLedger(await store.readText(name).catch(() => ''));
          if (records[0]?.event !== 'start' || records[0].plan !== hash) continue;
          for (const r of records) if (r.input && (r.status === 'done' || r.status === 'failed')) last.set(r.input, r);
          const end = records.some((r) => r.event === 'end');
          const lastTime = Date.parse(records.at(-1)!.time ?? '');
          if (!end && Number.isFinite(lastTime) && now - lastTime < staleMs) running = true;
        }
        let done = 0;
        let bytes = plan.kind === 'analysis' && manifest ? Number(manifest.bytesRead ?? 0) : 0;
        const errors: ShardDetail['errors'] = [];
        for (const input of shard.inputs) {
          const r = last.get(input.id);
          let ok: boolean;
          if (plan.kind === 'convert') {
            const size = sizes.get(outputName(input.id, input.size));
            ok = size !== undefined;
            bytes += size ?? 0;
          } else {
            ok = manifest !== undefined || r?.status === 'done';
            if (!manifest && r?.status === 'done') bytes += r.bytesRead ?? 0;
          }
          if (ok) done++;
          else if (r?.status === 'failed') errors.push({ input: input.id, error: r.error ?? '', transient: r.transient === true });
        }
        const state: ShardState = manifest ? 'done' : running ? 'running' : errors.length ? 'failed' : 'missing';
        return {
          status: { index: i, state, inputs: shard.inputs.length, done, failed: errors.length, bytes },
          detail: { manifest, permanent: errors.filter((e) => !e.transient).length, errors },
        };
      }),
    ),
  );
  const shards = read.map((r) => r.status);
  const details = read.map((r) => r.detail);
  return { status: { shards, complete: shards.every((s) => s.state === 'done') }, details };
}
