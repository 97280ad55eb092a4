/**
 * Issue 8: the job definitions under jobs/ are parsed (YAML with the `yaml` package, JSON) and held
 * to what the CLI does: the exit codes they map to fail or retry are the project's contract, the
 * resources are one CPU and the memory of the README's sizing, and their container arguments, run
 * for real with each engine's task variables against the loopback GCS server, convert a shard of a
 * plan stored at the manifest's gs:// path. The PanDA payload runs with %IN replaced by local files
 * and packs the grid output it declares.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../src/cli/main.ts';
import { EXIT } from '../src/errors.ts';
import { ENGINE_VARIABLES, readPlan } from '../src/scale/plan.ts';
import { fixture, PROJECT_ROOT } from './helpers/fixtures.ts';
import { startGcsServer, type GcsServer } from './support/gcs-server.ts';

const jobs = (p: string): string => readFileSync(resolve(PROJECT_ROOT, 'jobs', p), 'utf8');
const k8s = parse(jobs('kubernetes/convert-job.yaml'));
const batch = JSON.parse(jobs('cloud-batch/convert-job.json'));
const run = parse(jobs('cloud-run/convert-job.yaml'));
const panda = jobs('panda/submit-convert.sh');

const k8sContainer = k8s.spec.template.spec.containers[0];
const batchTask = batch.taskGroups[0].taskSpec;
const runTask = run.spec.template.spec.template.spec;
const RETRY = [EXIT.transient, EXIT.sigint, EXIT.sigterm];
const FAIL = [EXIT.usage, EXIT.permanent];

/** The sizing the README gives per task: one CPU, memory above the measured peak of one shard. */
const README = readFileSync(resolve(PROJECT_ROOT, 'README.md'), 'utf8');
const mib = (q: string): number => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q)!;
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

describe('Kubernetes Indexed Job', () => {
  it('indexed, retried per index, Never restarted, one CPU per pod', () => {
    expect(k8s).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job' });
    expect(k8s.spec.completionMode).toBe('Indexed');
    expect(k8s.spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    expect(k8s.spec.template.spec.restartPolicy).toBe('Never');
    expect(k8sContainer.resources.requests.cpu).toBe('1');
    expect(k8sContainer.resources.limits.cpu).toBe('1');
    expect(mib(k8sContainer.resources.limits.memory)).toBeGreaterThanOrEqual(mib(k8sContainer.resources.requests.memory));
    expect(README.includes(`\`${k8sContainer.resources.limits.memory}\``), 'README sizing names the limit').toBe(true);
  });

  it('the pod failure policy maps the exit codes of the contract: 1 and 2 fail the index, 3/130/143 retry, disruptions are ignored', () => {
    const rules = k8s.spec.podFailurePolicy.rules as { action: string; onExitCodes?: { containerName: string; operator: string; values: number[] }; onPodConditions?: { type: string }[] }[];
    expect(rules[0]).toEqual({ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] });
    const byAction = (a: string) => rules.find((r) => r.action === a)!.onExitCodes!;
    expect(byAction('FailIndex')).toEqual({ containerName: k8sContainer.name, operator: 'In', values: FAIL });
    expect(byAction('Count')).toEqual({ containerName: k8sContainer.name, operator: 'In', values: RETRY });
  });
});

describe('Google Cloud Batch job', () => {
  it('task count, retries, one CPU, and a lifecycle policy that fails tasks on 1 and 2 only (others are retried)', () => {
    expect(Number(batch.taskGroups[0].taskCount)).toBeGreaterThan(0);
    expect(batchTask.maxRetryCount).toBeGreaterThanOrEqual(1);
    expect(batchTask.computeResource.cpuMilli).toBe('1000');
    expect(README.includes(`\`memoryMib: ${batchTask.computeResource.memoryMib}\``), 'README sizing names memoryMib').toBe(true);
    expect(batchTask.lifecyclePolicies).toEqual([{ action: 'FAIL_TASK', actionCondition: { exitCodes: FAIL } }]);
    for (const code of RETRY) expect(batchTask.lifecyclePolicies.flatMap((p: { actionCondition: { exitCodes: number[] } }) => p.actionCondition.exitCodes)).not.toContain(code);
  });
});

describe('Cloud Run job', () => {
  it('task count, retries, one CPU', () => {
    expect(run).toMatchObject({ apiVersion: 'run.googleapis.com/v1', kind: 'Job' });
    expect(run.spec.template.spec.taskCount).toBeGreaterThan(0);
    expect(runTask.maxRetries).toBeGreaterThanOrEqual(1);
    expect(runTask.containers[0].resources.limits.cpu).toBe('1');
  });
});

describe('the engines run their container arguments against a plan on gs://', () => {
  let gcs: GcsServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    gcs = await startGcsServer({ buckets: ['bucket'] });
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint; // the client (and the worker processes) talk to the loopback server
  });
  afterAll(async () => {
    process.env = saved;
    await gcs?.close();
  });

  const engines = [
    { name: 'Kubernetes', args: k8sContainer.args as string[], count: k8s.spec.completions as number, env: (i: number, _n: number) => ({ JOB_COMPLETION_INDEX: String(i) }) },
    { name: 'Cloud Batch', args: batchTask.runnables[0].container.commands as string[], count: Number(batch.taskGroups[0].taskCount), env: (i: number, n: number) => ({ BATCH_TASK_INDEX: String(i), BATCH_TASK_COUNT: String(n) }) },
    { name: 'Cloud Run', args: runTask.containers[0].args as string[], count: run.spec.template.spec.taskCount as number, env: (i: number, n: number) => ({ CLOUD_RUN_TASK_INDEX: String(i), CLOUD_RUN_TASK_COUNT: String(n) }) },
  ];

  it('every engine names the same plan and task count, and sets a variable the CLI reads', () => {
    for (const e of engines) {
      expect(e.args.slice(0, 4), e.name).toEqual(['--log-format', 'json', 'convert', '--plan']);
      expect(e.args[4]).toBe('gs://BUCKET/physlite/plans/DATASET.json');
      expect(e.count).toBe(engines[0]!.count);
      expect(ENGINE_VARIABLES.map((v) => v.index)).toContain(Object.keys(e.env(0, 1))[0]);
    }
  });

  it('each engine\'s arguments and variables convert its shard; a task count other than the plan\'s is refused', async () => {
    const planUrl = engines[0]!.args[4]!.replace('gs://BUCKET/', 'gs://bucket/');
    const n = engines[0]!.count;
    const inputs = [fixture('PHYSLITE_example.root'), fixture('uproot-HZZ.root'), fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root')];
    const made = await main(['plan', ...inputs, '--shards', String(n), '--out-plan', planUrl, '--out', 'gs://bucket/physlite/parquet/DATASET'], () => {});
    expect(made).toBe(0);
    const plan = await readPlan(planUrl);
    const busy = plan.shards.filter((s) => s.inputs.length > 0).map((s) => s.index);
    expect(busy).toHaveLength(3);
    for (const [k, e] of engines.entries()) {
      const args = e.args.map((a) => a.replace('gs://BUCKET/', 'gs://bucket/'));
      const env = e.env(busy[k]!, n);
      Object.assign(process.env, env);
      try {
        let text = '';
        expect(await main(args, (t) => (text += t)), `${e.name}: ${text}`).toBe(0);
        expect(text).toMatch(new RegExp(`^shard ${busy[k]}: 1 converted`));
      } finally {
        for (const key of Object.keys(env)) delete process.env[key];
      }
    }
    let status = '';
    await main(['status', '--plan', planUrl, '--json'], (t) => (status += t));
    const shards = JSON.parse(status).shards as { index: number; state: string }[];
    for (const i of busy) expect(shards[i]!.state).toBe('done');
    // The job's task count must be the plan's.
    process.env.BATCH_TASK_INDEX = '0';
    process.env.BATCH_TASK_COUNT = String(n + 1);
    try {
      expect(await main(engines[1]!.args.map((a) => a.replace('gs://BUCKET/', 'gs://bucket/')), () => {})).toBe(EXIT.usage);
    } finally {
      delete process.env.BATCH_TASK_INDEX;
      delete process.env.BATCH_TASK_COUNT;
    }
  }, 120_000);
});

describe('PanDA prun script', () => {
  const dir = mkdtempSync(join(tmpdir(), 'physlite-panda-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const exec = /^EXEC='(.*)'$/m.exec(panda)![1]!;

  it('asks for the container, local copies of the inputs and one declared output', () => {
    const prun = panda.slice(panda.indexOf('prun \\'));
    for (const opt of ['--containerImage "$IMAGE"', '--inDS "$INDS"', '--outDS "$OUTDS"', '--forceStaged', '--outputs parquet.tar', '--exec "$EXEC"']) expect(prun).toContain(opt);
    expect(exec).toContain('%IN');
    expect(exec).toContain('tar -cf parquet.tar');
    expect(spawnSync('sh', ['-n', resolve(PROJECT_ROOT, 'jobs/panda/submit-convert.sh')]).status).toBe(0);
  });

  it('the payload, with %IN as the pilot fills it, converts the staged files and packs them into the declared output with its exit code', () => {
    // `physlite` on PATH, as the image installs it.
    const bin = join(dir, 'bin');
    execFileSync('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'physlite'), `#!/bin/sh\nexec "${process.execPath}" "${resolve(PROJECT_ROOT, 'src/cli/main.ts')}" "$@"\n`);
    chmodSync(join(bin, 'physlite'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const work = join(dir, 'job1');
    execFileSync('mkdir', ['-p', work]);
    const staged = [fixture('uproot-HZZ.root'), fixture('PHYSLITE_example.root')].join(',');
    const ok = spawnSync('sh', ['-c', exec.replaceAll('%IN', staged)], { cwd: work, env });
    expect(ok.status, ok.stderr.toString()).toBe(0);
    const listed = execFileSync('tar', ['-tf', join(work, 'parquet.tar')]).toString().split('\n');
    expect(listed).toContain('parquet/_manifest.json');
    expect(listed.filter((f) => f.endsWith('.parquet')).sort()).toEqual(['parquet/PHYSLITE_example.1641551.parquet', 'parquet/uproot-HZZ.217945.parquet']);
    // A corrupt staged file: the job fails with physlite's code (2), the good output still packed.
    const bad = join(dir, 'bad.root');
    writeFileSync(bad, readFileSync(fixture('uproot-Zmumu.root')).subarray(0, 50_000));
    const work2 = join(dir, 'job2');
    execFileSync('mkdir', ['-p', work2]);
    const failed = spawnSync('sh', ['-c', exec.replaceAll('%IN', `${bad},${fixture('uproot-HZZ.root')}`)], { cwd: work2, env });
    expect(failed.status).toBe(EXIT.permanent);
    expect(existsSync(join(work2, 'parquet.tar'))).toBe(true);
  }, 120_000);
});
