/**
 * Issue 8, the local proof: plans split into shards run as separate OS processes, as a batch engine
 * runs them.
 *   - the union of the shards' outputs is byte for byte a single-process conversion;
 *   - a shard killed with SIGKILL mid-write and run again leaves complete outputs only;
 *   - two runs of one shard at the same time leave each output once, complete;
 *   - finalize refuses (exit 3, no dataset manifest) while a shard is missing, succeeds after;
 *   - histograms merged from analysis shards equal one run's;
 *   - status --json keeps its contract; engine variables and conflicting options are checked;
 *   - a plan read from and a dataset written to gs:// through the loopback GCS server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { UsageError } from '../src/errors.ts';
import { parseCompression } from '../src/root/compression/compress.ts';
import { RootFile } from '../src/root/file.ts';
import { generateDimuon } from '../src/root/write/generate-dimuon.ts';
import { generateLike } from '../src/root/write/generate-like.ts';
import { balance, readPlan, shardIndex, type Plan, type PlannedInput } from '../src/scale/plan.ts';
import { planStatus } from '../src/scale/status.ts';
import { LocalStore } from '../src/storage/local.ts';
import { fixture, PROJECT_ROOT } from './helpers/fixtures.ts';
import { startGcsServer, type GcsServer } from './support/gcs-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLI = resolve(PROJECT_ROOT, 'src/cli/main.ts');
/** The CLI in-process: exit code and what it printed. */
async function cli(...argv: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await main(argv, (t) => (text += t + '\n'));
  return { code, text };
}
/** The CLI as its own OS process, as an engine's task. */
function task(argv: string[], env: NodeJS.ProcessEnv = {}, detached = false): { pid: number; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, ...argv], { stdio: 'ignore', env: { ...process.env, ...env }, detached });
  return { pid: child.pid!, exit: new Promise((done) => child.on('exit', (code) => done(code))) };
}
const parquetIn = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.parquet')).sort();
const temporaries = (d: string): string[] => readdirSync(d).filter((f) => f.includes('.tmp-'));

let big: string;
let inputs: string[];
let single: string;

beforeAll(async () => {
  mkdirSync(join(dir, 'in'));
  // A PHYSLITE-like file big enough that its conversion is still writing when killed, two
  // simulated dimuon files, and the real fixtures (TTrees of release 21 and 22, an RNTuple).
  big = join(dir, 'in', 'big.root');
  const template = await RootFile.open(fixture('PHYSLITE_example.root'));
  await generateLike({ template, events: 4000, out: big, compression: parseCompression('zstd:1') });
  await template.close();
  await generateDimuon({ events: 6000, out: join(dir, 'in', 'mumu-a.root'), compression: parseCompression('zstd:1'), seed: 11 });
  await generateDimuon({ events: 4000, out: join(dir, 'in', 'mumu-b.root'), compression: parseCompression('zstd:1'), seed: 12 });
  inputs = [
    join(dir, 'in'),
    fixture('PHYSLITE_example.root'),
    fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root'),
    fixture('uproot-HZZ.root'),
    fixture('uproot-Zmumu-zstd.root'),
    fixture('uproot-physlite-rntuple_v1-0-0-0.root'),
  ];
  // The reference: one process converts everything.
  single = join(dir, 'single');
  const r = await cli('convert', ...inputs, '--out', single, '--workers', '2');
  expect(r.code, r.text).toBe(0);
}, 300_000);

describe('planning', () => {
  it('balance: every input in exactly one shard, deterministic, loads within the largest input of each other', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1e9 }), { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (sizes, n) => {
        const ins: PlannedInput[] = sizes.map((size, i) => ({ id: `f${i}`, replicas: [`f${i}`], size }));
        const shards = balance(ins, n);
        expect(shards).toHaveLength(n);
        expect(shards.flatMap((s) => s.inputs.map((x) => x.id)).sort()).toEqual(ins.map((x) => x.id).sort());
        expect(JSON.stringify(balance(ins, n))).toBe(JSON.stringify(shards));
        const loads = shards.map((s) => s.bytes);
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(Math.max(0, ...sizes));
        for (const s of shards) expect(s.bytes).toBe(s.inputs.reduce((a, x) => a + x.size, 0));
      }),
    );
  });

  it('the shard index from --shard or the engines\' variables; a count that disagrees is a usage error', () => {
    const plan = { shards: [0, 1, 2, 3].map((index) => ({ index, bytes: 0, inputs: [] })) } as unknown as Plan;
    expect(shardIndex(plan, 2, {})).toBe(2);
    expect(shardIndex(plan, undefined, { JOB_COMPLETION_INDEX: '3' })).toBe(3);
    expect(shardIndex(plan, undefined, { BATCH_TASK_INDEX: '1', BATCH_TASK_COUNT: '4' })).toBe(1);
    expect(shardIndex(plan, undefined, { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '4' })).toBe(0);
    expect(shardIndex(plan, 1, { BATCH_TASK_INDEX: '3', BATCH_TASK_COUNT: '9' })).toBe(1); // --shard wins
    expect(() => shardIndex(plan, undefined, { BATCH_TASK_INDEX: '1', BATCH_TASK_COUNT: '5' })).toThrow(/BATCH_TASK_COUNT=5.*4 shards/);
    expect(() => shardIndex(plan, undefined, { CLOUD_RUN_TASK_INDEX: '1', CLOUD_RUN_TASK_COUNT: '3' })).toThrow(UsageError);
    expect(() => shardIndex(plan, undefined, { JOB_COMPLETION_INDEX: '4' })).toThrow(/from 0 to 3/);
    expect(() => shardIndex(plan, 7, {})).toThrow(UsageError);
    expect(() => shardIndex(plan, undefined, {})).toThrow(/name the shard/);
  });

  it('the plan records inputs, sizes, destination, options and converter; the same command gives the same bytes', async () => {
    const a = join(dir, 'plan-a.json');
    const b = join(dir, 'plan-b.json');
    for (const p of [a, b]) {
      const r = await cli('plan', ...inputs, '--shards', '3', '--out-plan', p, '--out', join(dir, 'x'), '--row-group', '32MiB', '--workers', '1');
      expect(r.code, r.text).toBe(0);
    }
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    const plan = await readPlan(a);
    expect(plan).toMatchObject({ kind: 'convert', converter: '0.1.0', destination: join(dir, 'x'), files: 8 });
    expect(plan.options).toEqual({ compression: 'zstd', 'row-group': '32MiB', workers: 1 });
    expect(plan.shards.flatMap((s) => s.inputs).find((x) => x.id === fixture('uproot-HZZ.root'))).toEqual({ id: fixture('uproot-HZZ.root'), replicas: [fixture('uproot-HZZ.root')], size: 217945 });
    // A shard with another value of an option the plan fixes, or other inputs or destination: exit 1, nothing run.
    for (const extra of [['--compression', 'snappy'], ['--row-group', '64MiB'], ['--workers', '2'], ['--out', join(dir, 'y')], [fixture('uproot-HZZ.root')], ['--prefer-scheme', 'https']]) {
      const r = await cli('convert', '--plan', a, '--shard', '0', ...extra);
      expect(r.code, extra.join(' ')).toBe(1);
    }
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect((await cli('convert', '--plan', join(dir, 'nope.json'), '--shard', '0')).code).toBe(1);
    expect((await cli('analyze', '--plan', a, '--shard', '0')).code).toBe(1); // a conversion plan
  });
});

describe('shards as OS processes', () => {
  const out = join(dir, 'sharded');
  const planPath = join(dir, 'plan.json');
  let plan: Plan;
  let bigShard: number;

  it('N processes, one per shard: their union equals a single-process run byte for byte; finalize waits for the missing shard', async () => {
    expect((await cli('plan', ...inputs, '--shards', '3', '--out-plan', planPath, '--out', out, '--workers', '1')).code).toBe(0);
    plan = await readPlan(planPath);
    bigShard = plan.shards.findIndex((s) => s.inputs.some((x) => x.id === big));
    const others = plan.shards.map((s) => s.index).filter((i) => i !== bigShard);
    // Two shards at once, their index from two engines' variables.
    const envs = [{ BATCH_TASK_INDEX: String(others[0]), BATCH_TASK_COUNT: '3' }, { JOB_COMPLETION_INDEX: String(others[1]) }];
    expect(await Promise.all(envs.map((env) => task(['convert', '--plan', planPath], env).exit))).toEqual([0, 0]);
    // One shard missing: finalize refuses, exit 3, no dataset manifest; status says which.
    const f = await cli('finalize', '--plan', planPath);
    expect(f.code, f.text).toBe(3);
    expect(f.text).toMatch(new RegExp(`not complete: 1 of 3 shard\\(s\\) not done: ${bigShard} \\(missing, 0/`));
    expect(existsSync(join(out, '_manifest.json'))).toBe(false);
    const s = await cli('status', '--plan', planPath, '--json');
    const status = JSON.parse(s.text) as { shards: Record<string, unknown>[]; complete: boolean };
    // The contract: exactly these keys, in this order.
    expect(Object.keys(status)).toEqual(['shards', 'complete']);
    for (const sh of status.shards) expect(Object.keys(sh)).toEqual(['index', 'state', 'inputs', 'done', 'failed', 'bytes']);
    expect(status.complete).toBe(false);
    expect(status.shards.map((x) => x.state)).toEqual(plan.shards.map((x) => (x.index === bigShard ? 'missing' : 'done')));
    for (const i of others) {
      const sh = status.shards[i]!;
      expect(sh).toMatchObject({ inputs: plan.shards[i]!.inputs.length, done: plan.shards[i]!.inputs.length, failed: 0 });
      const manifest = JSON.parse(readFileSync(join(out, '_shards', `shard-000${i}.json`), 'utf8'));
      expect(sh.bytes).toBe(manifest.objects.reduce((a: number, o: { size: number }) => a + o.size, 0));
    }
  }, 120_000);

  it('a shard killed with SIGKILL mid-write: status tells running from dead, a rerun leaves complete outputs only, finalize then succeeds', async () => {
    const t = task(['convert', '--plan', planPath, '--shard', String(bigShard)], {}, true);
    let killed = false;
    for (let i = 0; i < 1200 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 25));
      if (existsSync(out) && temporaries(out).length > 0) {
        process.kill(-t.pid, 'SIGKILL'); // the shard and its worker, as a lost node
        killed = true;
      }
    }
    expect(killed).toBe(true);
    await t.exit;
    await new Promise((r) => setTimeout(r, 300)); // let the killed worker's pid go
    expect(temporaries(out).length).toBeGreaterThan(0);
    // Its ledger has no end: it reads as running until its heartbeats are stale, then as missing.
    const store = new LocalStore(out);
    expect((await planStatus(plan, store)).status.shards[bigShard]!.state).toBe('running');
    expect((await planStatus(plan, store, { now: Date.now() + 10 * 60_000 })).status.shards[bigShard]!.state).toBe('missing');
    expect((await cli('finalize', '--plan', planPath)).code).toBe(3);
    // The engine's retry.
    expect(await task(['convert', '--plan', planPath, '--shard', String(bigShard)]).exit).toBe(0);
    expect(temporaries(out)).toEqual([]);
    const f = await cli('finalize', '--plan', planPath);
    expect(f.code, f.text).toBe(0);
    expect(f.text).toMatch(/dataset complete: 8 objects/);
    // The union of the shards is the single-process dataset, byte for byte.
    expect(parquetIn(out)).toEqual(parquetIn(single));
    for (const name of parquetIn(single)) expect(readFileSync(join(out, name)).equals(readFileSync(join(single, name))), name).toBe(true);
    const sharded = JSON.parse(readFileSync(join(out, '_manifest.json'), 'utf8'));
    const one = JSON.parse(readFileSync(join(single, '_manifest.json'), 'utf8'));
    expect(sharded).toMatchObject({ complete: true, shards: 3, files: one.files, entries: one.entries, options: one.options });
    expect(sharded.objects).toEqual(one.objects);
    const status = JSON.parse((await cli('status', '--plan', planPath, '--json')).text);
    expect(status.complete).toBe(true);
  }, 180_000);

  it('two runs of the same shard at the same time: each output once and complete, one shard manifest', async () => {
    const twice = join(dir, 'twice');
    const p = join(dir, 'plan-twice.json');
    expect((await cli('plan', big, fixture('PHYSLITE_example.root'), fixture('uproot-HZZ.root'), '--shards', '1', '--out-plan', p, '--out', twice, '--workers', '1')).code).toBe(0);
    const runs = [task(['convert', '--plan', p, '--shard', '0']), task(['convert', '--plan', p], { CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '1' })];
    expect(await Promise.all(runs.map((r) => r.exit))).toEqual([0, 0]);
    expect(temporaries(twice)).toEqual([]);
    expect(parquetIn(twice)).toHaveLength(3);
    for (const name of parquetIn(twice)) expect(readFileSync(join(twice, name)).equals(readFileSync(join(single, name))), name).toBe(true);
    expect(readdirSync(join(twice, '_shards'))).toEqual(['shard-0000.json']);
    expect(readdirSync(join(twice, '_ledger'))).toHaveLength(2); // one ledger per run, never shared
    const manifest = JSON.parse(readFileSync(join(twice, '_shards', 'shard-0000.json'), 'utf8'));
    expect(manifest.objects.map((o: { object: string }) => o.object).sort()).toEqual(parquetIn(twice));
    expect((await cli('finalize', '--plan', p)).code).toBe(0);
    // An output lost afterwards: the shard is no longer done, finalize refuses, a rerun redoes only it.
    rmSync(join(twice, parquetIn(twice)[0]!));
    const status = JSON.parse((await cli('status', '--plan', p, '--json')).text);
    expect(status.shards[0]).toMatchObject({ state: 'missing', inputs: 3, done: 2 });
    expect((await cli('finalize', '--plan', p)).code).toBe(3);
    const again = await cli('convert', '--plan', p, '--shard', '0');
    expect(again.text).toMatch(/1 converted, 2 skipped/);
    expect((await cli('finalize', '--plan', p)).code).toBe(0);
  }, 120_000);

  it('a permanently failing input: the shard exits 2 and reads as failed; finalize exits 2 naming it', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const truncated = join(bad, 'truncated.root');
    const whole = readFileSync(fixture('uproot-HZZ.root'));
    writeFileSync(truncated, whole.subarray(0, 100_000));
    const p = join(dir, 'plan-bad.json');
    expect((await cli('plan', truncated, fixture('uproot-Zmumu.root'), '--shards', '2', '--out-plan', p, '--out', join(bad, 'out'))).code).toBe(0);
    const plan = await readPlan(p);
    const i = plan.shards.findIndex((s) => s.inputs.some((x) => x.id === truncated));
    expect((await cli('convert', '--plan', p, '--shard', String(i))).code).toBe(2);
    expect((await cli('convert', '--plan', p, '--shard', String(1 - i))).code).toBe(0);
    const status = JSON.parse((await cli('status', '--plan', p, '--json')).text);
    expect(status.shards[i]).toEqual({ index: i, state: 'failed', inputs: 1, done: 0, failed: 1, bytes: 0 });
    const f = await cli('finalize', '--plan', p);
    expect(f.code).toBe(2);
    expect(existsSync(join(bad, 'out', '_manifest.json'))).toBe(false);
  }, 60_000);
});

describe('analysis shards', () => {
  it('histograms merged from shards run as processes equal a single run; finalize lists what it merged and what is missing', async () => {
    const files = ['mumu-a.', 'mumu-b.', 'big.'].map((p) => parquetIn(single).find((f) => f.startsWith(p))!).map((f) => join(single, f));
    files.push(...['PHYSLITE_example.', 'DAOD_PHYSLITE'].map((p) => join(single, parquetIn(single).find((f) => f.startsWith(p))!)));
    const p = join(dir, 'plan-ana.json');
    const out = join(dir, 'ana');
    const made = await cli('plan', ...files, '--shards', '3', '--out-plan', p, '--out', out, '--param', 'muonPt=4');
    expect(made.code, made.text).toBe(0);
    expect(made.text).toMatch(/^analysis plan/);
    const plan = await readPlan(p);
    expect(plan.options).toEqual({ analysis: 'builtin', param: ['muonPt=4'] });
    expect((await cli('analyze', '--plan', p, '--shard', '0', '--param', 'muonPt=5')).code).toBe(1);
    expect(await task(['analyze', '--plan', p, '--shard', '0', '--workers', '1']).exit).toBe(0);
    // Two shards missing: the merged result says so, finalize exits 3.
    const partial = await cli('finalize', '--plan', p);
    expect(partial.code).toBe(3);
    let merged = JSON.parse(readFileSync(join(out, 'result', 'merged.json'), 'utf8'));
    expect(merged.complete).toBe(false);
    expect(merged.merged.map((m: { shard: number }) => m.shard)).toEqual([0]);
    expect(merged.missing.map((m: { shard: number }) => m.shard)).toEqual([1, 2]);
    expect(JSON.parse(readFileSync(join(out, 'result', 'summary.json'), 'utf8')).complete).toBe(false);
    expect(await Promise.all([1, 2].map((i) => task(['analyze', '--plan', p], { BATCH_TASK_INDEX: String(i), BATCH_TASK_COUNT: '3' }).exit))).toEqual([0, 0]);
    const f = await cli('finalize', '--plan', p);
    expect(f.code, f.text).toBe(0);
    merged = JSON.parse(readFileSync(join(out, 'result', 'merged.json'), 'utf8'));
    expect(merged).toMatchObject({ complete: true, missing: [] });
    expect(merged.merged.flatMap((m: { inputs: string[] }) => m.inputs).sort()).toEqual([...files].sort());
    for (const name of ['report.html', 'plots/mumu_mass.png', 'plots/mumu_mass.svg']) expect(existsSync(join(out, 'result', name)), name).toBe(true);
    // One process over every file.
    const one = join(dir, 'ana-one');
    expect((await cli('analyze', ...files, '--out', one, '--param', 'muonPt=4', '--no-plots', '--workers', '1')).code).toBe(0);
    const a = JSON.parse(readFileSync(join(one, 'histograms.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(out, 'result', 'histograms.json'), 'utf8'));
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const name of Object.keys(a)) {
      const [x, y] = [a[name].storage, b[name].storage];
      expect(y.type, name).toBe(x.type);
      if (x.type === 'int') expect(y.values, name).toEqual(x.values);
      else for (const k of ['values', 'variances']) for (const [i, v] of (x[k] as number[]).entries()) expect(Math.abs(y[k][i] - v), name).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v)));
    }
    const sa = JSON.parse(readFileSync(join(one, 'summary.json'), 'utf8'));
    const sb = JSON.parse(readFileSync(join(out, 'result', 'summary.json'), 'utf8'));
    expect(sb.events).toBe(sa.events);
    expect(sb.cutflow.map((c: { events: number }) => c.events)).toEqual(sa.cutflow.map((c: { events: number }) => c.events));
  }, 180_000);
});

describe('custom analyses in plans', () => {
  it('the plan pins the module by its SHA-256: a shard finding other code refuses (exit 1), the same code runs', async () => {
    const module = join(dir, 'my-analysis.ts');
    const source = `export { default } from ${JSON.stringify(resolve(PROJECT_ROOT, 'scripts/analyses/dimuon-mass.ts'))};\n`;
    writeFileSync(module, source);
    const file = join(single, parquetIn(single).find((f) => f.startsWith('mumu-b.'))!);
    const p = join(dir, 'plan-custom.json');
    expect((await cli('plan', file, '--shards', '1', '--out-plan', p, '--out', join(dir, 'custom'), '--analysis', module)).code).toBe(0);
    expect((await readPlan(p)).options).toMatchObject({ analysis: module, analysisSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    writeFileSync(module, source + '// edited after planning\n');
    const refused = await cli('analyze', '--plan', p, '--shard', '0', '--workers', '1');
    expect(refused.code).toBe(1);
    writeFileSync(module, source);
    expect((await cli('analyze', '--plan', p, '--shard', '0', '--workers', '1')).code).toBe(0);
    expect((await cli('finalize', '--plan', p)).code).toBe(0);
  }, 60_000);
});

describe('gs:// plans and destinations', () => {
  let gcs: GcsServer;
  beforeAll(async () => {
    gcs = await startGcsServer({ buckets: ['data'] });
  });
  afterAll(() => gcs?.close());

  it('a plan on gs://, shards uploading to gs://, finalize writes the manifest object last', async () => {
    const ins = [fixture('PHYSLITE_example.root'), fixture('uproot-HZZ.root'), fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root')];
    const ep = ['--gcs-endpoint', gcs.endpoint];
    const made = await cli('plan', ...ins, '--shards', '2', '--out-plan', 'gs://data/plans/p.json', '--out', 'gs://data/parquet', ...ep, '--upload-chunk', '256KiB');
    expect(made.code, made.text).toBe(0);
    const bucket = gcs.buckets.get('data')!;
    expect(bucket.has('plans/p.json')).toBe(true);
    expect((await cli('convert', '--plan', 'gs://data/plans/p.json', '--shard', '0', ...ep, '--workers', '1')).code).toBe(0);
    expect((await cli('finalize', '--plan', 'gs://data/plans/p.json', ...ep)).code).toBe(3);
    expect(bucket.has('parquet/_manifest.json')).toBe(false);
    // Shard 1 twice: the second finds every object there and uploads nothing again.
    for (let k = 0; k < 2; k++) expect((await cli('convert', '--plan', 'gs://data/plans/p.json', '--shard', '1', ...ep, '--workers', '1')).code).toBe(0);
    const status = JSON.parse((await cli('status', '--plan', 'gs://data/plans/p.json', '--json', ...ep)).text);
    expect(status.shards.map((s: { state: string }) => s.state)).toEqual(['done', 'done']);
    expect((await cli('finalize', '--plan', 'gs://data/plans/p.json', ...ep)).code).toBe(0);
    const manifest = JSON.parse(bucket.get('parquet/_manifest.json')!.data.toString());
    const objects = [...bucket.keys()].filter((k) => k.startsWith('parquet/') && k.endsWith('.parquet')).sort();
    expect(objects).toHaveLength(3);
    expect(manifest.objects.map((o: { object: string }) => `parquet/${o.object}`).sort()).toEqual(objects);
    for (const o of manifest.objects) {
      expect(bucket.get(`parquet/${o.object}`)!.crc32c).toBe(o.crc32c);
      expect(bucket.get(`parquet/${o.object}`)!.data.equals(readFileSync(join(single, o.object))), o.object).toBe(true);
    }
  }, 120_000);

  it('an analysis plan over a gs:// prefix of Parquet objects finds them by name (it found only .root names)', async () => {
    const files = parquetIn(single).slice(0, 2);
    for (const f of files) gcs.put('data', `listed/${f}`, readFileSync(join(single, f)));
    gcs.put('data', 'listed/_ledger/run.jsonl', Buffer.from('{}\n'));
    gcs.put('data', 'listed/notes.txt', Buffer.from('not an input'));
    const p = join(dir, 'plan-gs-prefix.json');
    const r = await cli('plan', 'gs://data/listed/', '--shards', '1', '--out-plan', p, '--out', join(dir, 'gs-prefix-out'), '--gcs-endpoint', gcs.endpoint);
    expect(r.code, r.text).toBe(0);
    const plan = await readPlan(p);
    expect(plan.kind).toBe('analysis');
    expect(plan.shards.flatMap((s) => s.inputs.map((x) => x.id)).sort()).toEqual(files.map((f) => `gs://data/listed/${f}`).sort());
  }, 60_000);

  it('two processes running one shard to gs:// at once: each object written once (write-once precondition), both exit 0', async () => {
    const ins = [big, fixture('PHYSLITE_example.root')];
    const ep = ['--gcs-endpoint', gcs.endpoint];
    expect((await cli('plan', ...ins, '--shards', '1', '--out-plan', 'gs://data/plans/twice.json', '--out', 'gs://data/twice', ...ep, '--workers', '1')).code).toBe(0);
    const bucket = gcs.buckets.get('data')!;
    const generations = new Map<string, number>();
    const rewritten: string[] = [];
    const runs = [0, 1].map(() => task(['convert', '--plan', 'gs://data/plans/twice.json', '--shard', '0', ...ep]));
    // Every time an object appears, remember its generation: a second write would change it.
    const watch = setInterval(() => {
      for (const [k, o] of bucket) {
        if (!k.startsWith('twice/') || !k.endsWith('.parquet')) continue;
        if ((generations.get(k) ?? o.generation) !== o.generation) rewritten.push(k);
        generations.set(k, o.generation);
      }
    }, 20);
    const codes = await Promise.all(runs.map((r) => r.exit));
    clearInterval(watch);
    expect(codes).toEqual([0, 0]);
    expect(rewritten).toEqual([]);
    const objects = [...bucket.keys()].filter((k) => k.startsWith('twice/') && k.endsWith('.parquet')).sort();
    expect(objects).toHaveLength(2);
    for (const k of objects) {
      expect(bucket.get(k)!.generation).toBe(generations.get(k));
      expect(bucket.get(k)!.data.equals(readFileSync(join(single, k.slice('twice/'.length)))), k).toBe(true);
    }
    expect([...bucket.keys()].filter((k) => k.startsWith('twice/_ledger/'))).toHaveLength(2);
    expect((await cli('finalize', '--plan', 'gs://data/plans/twice.json', ...ep)).code).toBe(0);
  }, 120_000);

  it('an analysis plan to gs://: partial results and the merged result (plots, report, merged.json) are objects', async () => {
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint; // analyze reaches the store through the client's own setting
    try {
      const files = ['mumu-a.', 'PHYSLITE_example.'].map((p) => join(single, parquetIn(single).find((f) => f.startsWith(p))!));
      expect((await cli('plan', ...files, '--shards', '2', '--out-plan', 'gs://data/plans/ana.json', '--out', 'gs://data/ana')).code).toBe(0);
      for (const i of [0, 1]) expect((await cli('analyze', '--plan', 'gs://data/plans/ana.json', '--shard', String(i), '--workers', '1')).code).toBe(0);
      const f = await cli('finalize', '--plan', 'gs://data/plans/ana.json');
      expect(f.code, f.text).toBe(0);
      const bucket = gcs.buckets.get('data')!;
      for (const i of [0, 1]) expect(bucket.has(`ana/_shards/shard-000${i}/histograms.json`)).toBe(true);
      expect(bucket.get('ana/result/report.html')!.contentType).toBe('text/html');
      expect(bucket.get('ana/result/plots/mumu_mass.png')!.data.subarray(1, 4).toString()).toBe('PNG');
      const merged = JSON.parse(bucket.get('ana/result/merged.json')!.data.toString());
      expect(merged).toMatchObject({ complete: true, missing: [] });
      const summary = JSON.parse(bucket.get('ana/result/summary.json')!.data.toString());
      expect(summary.events).toBe(6000 + 100);
      const status = JSON.parse((await cli('status', '--plan', 'gs://data/plans/ana.json', '--json')).text);
      expect(status.complete).toBe(true);
      expect(status.shards.every((s: { bytes: number }) => s.bytes > 0)).toBe(true);
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
  }, 120_000);
});
