/**
 * Issue 6 end to end: `physlite convert` from https://, davs:// (bearer token, grid CA), gs:// and
 * Rucio lists/metalinks, to a local directory and to gs://, through servers that inject faults.
 * Outputs are byte-identical to a local conversion of the same input identity; permanent faults end
 * with exit 2 and a clear ledger line without query strings; upload failures leave nothing marked
 * done, and a rerun completes the dataset (one object per input, `_manifest.json` last).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { convertFile, outputName } from '../src/convert/convert-file.ts';
import { Adler32 } from '../src/root/source/adler32.ts';
import { makeCerts } from './support/certs.ts';
import { startGcsServer, type GcsServer } from './support/gcs-server.ts';
import { startRangeServer, type RangeServer } from './support/range-server.ts';
import { fixture, PROJECT_ROOT } from './helpers/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'physlite-remote-'));
const physlite = new Uint8Array(readFileSync(fixture('PHYSLITE_example.root')));
const hzz = new Uint8Array(readFileSync(fixture('uproot-HZZ.root')));
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const rucioPath = (scope: string, name: string) => `/rucio/${scope.replace(/\./g, '/')}/${md5(`${scope}:${name}`).slice(0, 2)}/${md5(`${scope}:${name}`).slice(2, 4)}/${name}`;

let http: RangeServer;
let https: RangeServer;
let gcs: GcsServer;
const savedEnv = { ...process.env };
const run = async (...argv: string[]): Promise<{ code: number; text: string }> => {
  let text = '';
  const code = await main(['convert', ...argv, '--workers', '2'], (t) => (text += t + '\n'));
  return { code, text };
};
/** The local conversion of the same bytes under the same identity: what every remote run must equal. */
async function expected(identity: string, bytes: string): Promise<Buffer> {
  const out = mkdtempSync(join(dir, 'expected-'));
  const r = await convertFile(bytes, { outDir: out }, { identity });
  return readFileSync(r.output);
}
const ledgerLines = (outDir: string) =>
  readdirSync(join(outDir, '_ledger')).flatMap((f) => readFileSync(join(outDir, '_ledger', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));

beforeAll(async () => {
  const damaged = hzz.slice();
  damaged[100_000] ^= 0x10; // one flipped bit in a basket
  const files = { '/data/notroot.root': new TextEncoder().encode('<html>login page</html>'), '/data/PHYSLITE_example.root': physlite, '/data/hzz.root': hzz, '/data/hzz-damaged.root': damaged, [rucioPath('user.test', 'hzz.root')]: hzz };
  http = await startRangeServer({ files, seed: 7 });
  const certs = makeCerts();
  https = await startRangeServer({ files, tls: { ...certs.server, ca: certs.ca }, faults: { requireToken: 'tok-xyz' } });
  gcs = await startGcsServer({ buckets: ['in', 'out'] });
  gcs.put('in', 'run/PHYSLITE_example.root', physlite);
  gcs.put('in', 'run/hzz.root', hzz);
  // Worker processes inherit the environment: the grid CA and the token, the way grid jobs get them.
  const caDir = join(dir, 'certificates');
  mkdirSync(caDir);
  writeFileSync(join(caDir, 'testca.pem'), certs.ca);
  process.env.X509_CERT_DIR = caDir;
  process.env.BEARER_TOKEN = 'tok-xyz';
  process.env.TMPDIR = mkdtempSync(join(dir, 'tmp-'));
});
afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([http?.close(), https?.close(), gcs?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('convert from HTTP(S) through faults', () => {
  it('signed URLs through 5xx, resets and truncated bodies: byte-identical outputs, no query string anywhere', async () => {
    // The first two requests fail for sure; after that faults are drawn at random.
    http.faults = { failFirst: 2, errorRate: 0.15, resetRate: 0.1, truncateRate: 0.15, signature: 'SIG-secret', retryAfter: '0', maxFaults: 5 };
    http.reset();
    const out = join(dir, 'http-out');
    const urls = [http.url('/data/PHYSLITE_example.root', 'sig=SIG-secret'), http.url('/data/hzz.root', 'sig=SIG-secret')];
    const { code, text } = await run(...urls, '--out', out);
    expect(code, text).toBe(0);
    for (const [path, bytes] of [['/data/PHYSLITE_example.root', fixture('PHYSLITE_example.root')], ['/data/hzz.root', fixture('uproot-HZZ.root')]] as const) {
      const id = http.url(path);
      const got = readFileSync(join(out, outputName(id, readFileSync(bytes).length)));
      expect(Buffer.compare(got, await expected(id, bytes))).toBe(0);
    }
    expect(http.counters.byStatus[503]).toBeGreaterThanOrEqual(2);
    const everything = readdirSync(out, { recursive: true }).map(String).join('\n') + JSON.stringify(ledgerLines(out)) + readFileSync(join(out, '_manifest.json'), 'utf8') + text;
    expect(everything).not.toContain('SIG-secret');
    expect(JSON.parse(readFileSync(join(out, '_manifest.json'), 'utf8'))).toMatchObject({ complete: true, files: 2 });
  });

  it('an expired signature: exit 2, one clear ledger line naming the URL without query, nothing written', async () => {
    http.faults = { signature: 'SIG-new' };
    const out = join(dir, 'expired-out');
    const { code } = await run(http.url('/data/hzz.root', 'sig=SIG-old'), '--out', out);
    expect(code).toBe(2);
    const failed = ledgerLines(out).find((l) => l.status === 'failed');
    expect(failed.error).toContain(`access denied (HTTP 403)`);
    expect(failed.error).toContain(`file ${http.url('/data/hzz.root')})`);
    expect(JSON.stringify(ledgerLines(out))).not.toContain('SIG-old');
    expect(readdirSync(out).filter((f) => f !== '_ledger')).toEqual([]);
  });

  it.each(['memory', 'disk', 'ranges'])('--fetch %s from a server that ignores Range gives the same output, no download left', async (mode) => {
    http.faults = { ignoreRange: true };
    const out = join(dir, `fetch-${mode}`);
    const { code, text } = await run(http.url('/data/hzz.root'), '--out', out, '--fetch', mode);
    expect(code, text).toBe(0);
    const got = readFileSync(join(out, outputName(http.url('/data/hzz.root'), hzz.length)));
    expect(Buffer.compare(got, await expected(http.url('/data/hzz.root'), fixture('uproot-HZZ.root')))).toBe(0);
    expect(readdirSync(process.env.TMPDIR!).filter((f) => f.startsWith('physlite-'))).toEqual([]);
  });

  it('a download that is not a ROOT file: exit 2 naming the URL, the temporary copy removed', async () => {
    http.faults = {};
    const out = join(dir, 'notroot-out');
    const { code } = await run(http.url('/data/notroot.root', 'sig=x'), '--out', out, '--fetch', 'disk');
    expect(code).toBe(2);
    expect(ledgerLines(out).find((l) => l.status === 'failed').error).toContain(`file ${http.url('/data/notroot.root')}`);
    expect(readdirSync(process.env.TMPDIR!).filter((f) => f.startsWith('physlite-'))).toEqual([]);
  });
});

describe('grid inputs to Cloud Storage', () => {
  it('davs:// with a bearer token and the grid CA, to gs:// with a manifest and a ledger object', async () => {
    const davs = https.url('/data/hzz.root').replace(/^https:/, 'davs:');
    const { code, text } = await run(davs, '--out', 'gs://out/davs', '--gcs-endpoint', gcs.endpoint, '--upload-chunk', '256KiB');
    expect(code, text).toBe(0);
    const bucket = gcs.buckets.get('out')!;
    const name = outputName(davs, hzz.length);
    const obj = bucket.get(`davs/${name}`)!;
    expect(Buffer.compare(obj.data, await expected(davs, fixture('uproot-HZZ.root')))).toBe(0);
    expect(obj.metadata).toMatchObject({ 'physlite-source': davs, 'physlite-entries': '2421' });
    const manifest = JSON.parse(bucket.get('davs/_manifest.json')!.data.toString());
    expect(manifest.objects).toEqual([{ input: davs, object: name, entries: 2421, size: obj.data.length, crc32c: obj.crc32c }]);
    expect([...bucket.keys()].filter((k) => k.startsWith('davs/_ledger/'))).toHaveLength(1);
  });

  it('a Rucio metalink: root:// set aside, a failing replica falls back to the next, identity scope:name', async () => {
    http.faults = { signature: 'ok' };
    const root = 'root://eosatlas.cern.ch:1094//eos/atlas/x/hzz.root';
    const meta = `<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
 <file name="hzz.root">
  <identity>user.test:hzz.root</identity>
  <hash type="adler32">00000000</hash>
  <size>${hzz.length}</size>
  <url location="CERN-PROD_DATADISK" domain="wan" priority="1" client_extract="false">${root}</url>
  <url location="CERN-PROD_DATADISK" domain="wan" priority="2" client_extract="false">${http.url('/data/hzz.root', 'sig=expired&amp;x=1')}</url>
  <url location="BNL-OSG2_DATADISK" domain="wan" priority="3" client_extract="false">${http.url('/data/hzz.root', 'sig=ok')}</url>
 </file>
 <file name="only-root.root">
  <identity>user.test:only-root.root</identity>
  <size>100</size>
  <url location="CERN-PROD_DATADISK" priority="1">root://eosatlas.cern.ch:1094//eos/atlas/x/only-root.root</url>
 </file>
</metalink>`;
    writeFileSync(join(dir, 'files.meta4'), meta);
    const out = join(dir, 'metalink-out');
    const { code } = await run('--metalink', join(dir, 'files.meta4'), '--out', out);
    expect(code).toBe(2); // the file with only a root:// replica
    const lines = ledgerLines(out);
    expect(lines.find((l) => l.input === 'user.test:hzz.root').status).toBe('done');
    expect(lines.find((l) => l.input === 'user.test:only-root.root').error).toMatch(/no replica .*root:\/\/ needs an XRootD client/);
    expect(existsSync(join(out, 'user.test_hzz.217945.parquet'))).toBe(true);
    expect(existsSync(join(out, '_manifest.json'))).toBe(false); // not every input has its output
    expect(JSON.stringify(lines)).not.toMatch(/sig=/);
  });

  it('--fetch memory checks the metalink adler32: a damaged replica is passed over for the next', async () => {
    http.faults = {};
    const adler = new Adler32().update(hzz).hex();
    const meta = `<metalink xmlns="urn:ietf:params:xml:ns:metalink"><file name="hzz.root"><identity>user.test:hzz.root</identity>
  <hash type="adler32">${adler}</hash><size>${hzz.length}</size>
  <url location="A" priority="1">${http.url('/data/hzz-damaged.root')}</url>
  <url location="B" priority="2">${http.url('/data/hzz.root')}</url></file></metalink>`;
    writeFileSync(join(dir, 'adler.meta4'), meta);
    const out = join(dir, 'adler-out');
    http.reset();
    const { code, text } = await run('--metalink', join(dir, 'adler.meta4'), '--out', out, '--fetch', 'memory');
    expect(code, text).toBe(0);
    expect(http.counters.bytes).toBeGreaterThanOrEqual(2 * hzz.length); // both replicas downloaded whole
    const got = readFileSync(join(out, 'user.test_hzz.217945.parquet'));
    expect(Buffer.compare(got, await expected('user.test:hzz.root', fixture('uproot-HZZ.root')))).toBe(0);
  });

  it('rucio list-file-replicas --pfns output: replicas of one file grouped under scope:name', async () => {
    http.faults = {};
    const pfns = [`root://eosatlas.cern.ch:1094//eos/atlas/atlasscratchdisk${rucioPath('user.test', 'hzz.root')}`, http.url(rucioPath('user.test', 'hzz.root'))];
    writeFileSync(join(dir, 'pfns.txt'), pfns.join('\n') + '\n');
    const out = join(dir, 'pfns-out');
    const { code, text } = await run(`@${join(dir, 'pfns.txt')}`, '--out', out);
    expect(code, text).toBe(0);
    expect(ledgerLines(out).map((l) => [l.input, l.status])).toEqual([['user.test:hzz.root', 'done']]);
    expect(readdirSync(out).filter((f) => f.endsWith('.parquet'))).toEqual(['user.test_hzz.217945.parquet']);
  });

  it('gs:// glob to gs://: an upload failing throughout leaves nothing done (exit 3); --resume completes it, one object each', async () => {
    gcs.reset();
    gcs.failNext({ kind: 'start-resumable', object: `glob/${outputName('gs://in/run/hzz.root', hzz.length)}`, status: 503, times: 100 });
    const args = ['gs://in/run/*.root', '--out', 'gs://out/glob', '--gcs-endpoint', gcs.endpoint, '--gcs-retries', '0', '--upload-chunk', '256KiB'];
    const first = await run(...args);
    expect(first.code, first.text).toBe(3);
    const bucket = gcs.buckets.get('out')!;
    const parquet = () => [...bucket.keys()].filter((k) => k.startsWith('glob/') && k.endsWith('.parquet')).sort();
    expect(parquet()).toEqual([`glob/${outputName('gs://in/run/PHYSLITE_example.root', physlite.length)}`]);
    expect(bucket.has('glob/_manifest.json')).toBe(false);
    gcs.reset();
    // The final chunk of the rerun is committed but its answer is lost: still exactly one object.
    gcs.failNext({ kind: 'final-chunk', resetAfterCommit: true });
    const second = await run(...args, '--resume');
    expect(second.code, second.text).toBe(0);
    expect(second.text).toMatch(/1 converted, 1 skipped/);
    expect(parquet()).toHaveLength(2);
    const manifest = JSON.parse(bucket.get('glob/_manifest.json')!.data.toString());
    expect(manifest.objects.map((o: { input: string }) => o.input)).toEqual(['gs://in/run/PHYSLITE_example.root', 'gs://in/run/hzz.root']);
    for (const o of manifest.objects) expect(bucket.get(`glob/${o.object}`)!.crc32c).toBe(o.crc32c);
    expect(Buffer.compare(bucket.get(`glob/${outputName('gs://in/run/hzz.root', hzz.length)}`)!.data, await expected('gs://in/run/hzz.root', fixture('uproot-HZZ.root')))).toBe(0);
  });

  it('SIGINT during an upload: exit 130, no object, no temporary file left', async () => {
    gcs.reset();
    gcs.failNext({ kind: 'chunk', delayMs: 3000, times: 100 });
    const tmp = mkdtempSync(join(dir, 'int-tmp-'));
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'src/cli/main.ts'), 'convert', fixture('PHYSLITE_example.root'), '--out', 'gs://out/interrupted', '--gcs-endpoint', gcs.endpoint, '--upload-chunk', '256KiB', '--workers', '1'], {
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: tmp },
    });
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    for (let i = 0; i < 600 && !gcs.counters.byKind.chunk; i++) await new Promise((r) => setTimeout(r, 50));
    expect(gcs.counters.byKind.chunk).toBeGreaterThan(0); // the upload is under way
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect([...gcs.buckets.get('out')!.keys()].filter((k) => k.startsWith('interrupted/') && !k.includes('_ledger/'))).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
