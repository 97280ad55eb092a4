/**
 * The command line, in-process through `main(argv, out)` (stdout text captured from `out`, stderr
 * from a spy on process.stderr.write), plus the real process once for exit-code propagation:
 *   - `inspect --json` follows its contract with the real values of the fixtures;
 *   - `dump` follows its contract: exact float and 64-bit integer tokens (checked against jsroot
 *     and the basket bytes), entry ranges, ElementLinks, DataVector counts;
 *   - `stringify` / `formatNumber` (NaN, infinities, -0, bigint);
 *   - exit codes and the one-line error report (text, --verbose, --log-format json).
 * Bugs found while writing these tests are kept as regression tests (section "regressions").
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFile } from 'jsroot/io';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InspectReport } from '../src/root/inspect.ts';
import { formatNumber, stringify } from '../src/cli/json.ts';
import { main } from '../src/cli/main.ts';
import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { fixture, PROJECT_ROOT } from './helpers/fixtures.ts';
import { jsrootRead, openJsroot } from './helpers/jsroot.ts';

const PHYSLITE = fixture('PHYSLITE_example.root');
const DAOD = fixture('DAOD_PHYSLITE_21.2.108.0.art.pool.root');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  stderrLines: string[];
}

let stderrChunks: string[] = [];
let stdoutChunks: string[] = [];

beforeEach(() => {
  stderrChunks = [];
  stdoutChunks = [];
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown) => {
    stderrChunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: unknown) => {
    stdoutChunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Run `main` in-process; stdout is what the command handed to `out` (plus any stray stdout write). */
async function run(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const code = await main(argv, (t) => out.push(t));
  const stdout = out.join('\n') + stdoutChunks.join('');
  const stderr = stderrChunks.join('');
  return { code, stdout, stderr, stderrLines: stderr.split('\n').filter((l) => l.length > 0) };
}

const STACK_LINE = /^\s+at /m;

// ---------------------------------------------------------------------------------------------
// inspect --json
// ---------------------------------------------------------------------------------------------

const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;

/** Every object of the report has exactly the contract's fields, with the contract's types. */
function checkInspectContract(r: InspectReport): void {
  expect(Object.keys(r).sort()).toEqual(['file', 'keys', 'trees']);
  expect(Object.keys(r.file).sort()).toEqual(['compression', 'path', 'size', 'version']);
  expect(Object.keys(r.file.compression).sort()).toEqual(['algorithm', 'level', 'setting']);
  expect(typeof r.file.path).toBe('string');
  expect(isCount(r.file.size) && isCount(r.file.version)).toBe(true);
  expect(isCount(r.file.compression.setting) && isCount(r.file.compression.level)).toBe(true);
  expect(typeof r.file.compression.algorithm).toBe('string');
  for (const k of r.keys) {
    expect(Object.keys(k).sort()).toEqual(['className', 'cycle', 'name']);
    expect(typeof k.name === 'string' && typeof k.className === 'string' && isCount(k.cycle)).toBe(true);
  }
  for (const t of r.trees) {
    expect(Object.keys(t).sort()).toEqual(['branches', 'cycle', 'entries', 'kind', 'name']);
    expect(['TTree', 'RNTuple']).toContain(t.kind);
    expect(isCount(t.cycle) && isCount(t.entries)).toBe(true);
    for (const b of t.branches) {
      const expected = ['baskets', 'compressedBytes', 'name', 'readable', 'typeName', 'uncompressedBytes'];
      if (!b.readable) expected.push('reason');
      expect(Object.keys(b).sort(), b.name).toEqual(expected.sort());
      expect(typeof b.name === 'string' && typeof b.typeName === 'string' && typeof b.readable === 'boolean').toBe(true);
      expect(isCount(b.compressedBytes) && isCount(b.uncompressedBytes) && isCount(b.baskets), b.name).toBe(true);
      if (!b.readable) expect(typeof b.reason === 'string' && b.reason.length > 0, b.name).toBe(true);
    }
  }
}

async function inspectJson(path: string): Promise<InspectReport> {
  const r = await run('inspect', path, '--json');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as InspectReport;
}

/** The keys of the top directory, as jsroot lists them (an independent reader). */
async function jsrootKeys(path: string): Promise<{ name: string; cycle: number; className: string }[]> {
  const buf = readFileSync(path);
  const file = await openFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return (file.fKeys as { fName: string; fCycle: number; fClassName: string }[])
    .filter((k) => k.fClassName !== 'TDirectory' && k.fName !== 'StreamerInfo' && k.fClassName !== 'TStreamerInfo')
    .map((k) => ({ name: k.fName, cycle: k.fCycle, className: k.fClassName }));
}

describe('inspect --json', () => {
  it('PHYSLITE_example.root follows the contract with the real values', async () => {
    const r = await inspectJson(PHYSLITE);
    checkInspectContract(r);
    expect(r.file).toEqual({ path: PHYSLITE, size: statSync(PHYSLITE).size, version: 63202, compression: { setting: 101, algorithm: 'ZLIB', level: 1 } });
    expect(r.keys).toEqual([{ name: 'CollectionTree', cycle: 1, className: 'TTree' }]);
    expect(r.trees).toHaveLength(1);
    const t = r.trees[0]!;
    expect([t.name, t.cycle, t.kind, t.entries, t.branches.length]).toEqual(['CollectionTree', 1, 'TTree', 100, 1494]);
    expect(new Set(t.branches.map((b) => b.name)).size).toBeGreaterThan(1400);
    const pt = t.branches.find((b) => b.name === 'AnalysisElectronsAuxDyn.pt')!;
    expect(pt).toMatchObject({ typeName: 'vector<float>', readable: true, baskets: 1 });
    expect(pt.compressedBytes).toBeGreaterThan(0);
    expect(pt.uncompressedBytes).toBeGreaterThan(pt.compressedBytes);
    expect(t.branches.filter((b) => !b.readable).length).toBeGreaterThan(0);
    expect(t.branches.filter((b) => b.readable).length).toBeGreaterThan(1000);
  });

  it.each([
    ['uproot-HZZ-uncompressed.root', 100, 'NONE', 0],
    ['uproot-HZZ-zlib.root', 104, 'ZLIB', 4],
    ['uproot-HZZ-lzma.root', 204, 'LZMA', 4],
    ['uproot-HZZ-lz4.root', 404, 'LZ4', 4],
    ['uproot-HZZ-zstd.root', 505, 'ZSTD', 5],
  ] as const)('%s: compression setting %d is %s level %d', async (name, setting, algorithm, level) => {
    const path = fixture(name);
    const r = await inspectJson(path);
    checkInspectContract(r);
    expect(r.file.compression).toEqual({ setting, algorithm, level });
    expect(r.file.size).toBe(statSync(path).size);
    expect(r.trees.map((t) => [t.name, t.entries, t.branches.length])).toEqual([['events', 2421, 51]]);
  });

  it('DAOD_PHYSLITE_21.2.108.0.art.pool.root lists every key but only the highest cycle of each tree', async () => {
    const r = await inspectJson(DAOD);
    checkInspectContract(r);
    expect(r.keys).toEqual(await jsrootKeys(DAOD));
    expect(r.keys).toHaveLength(17);
    expect(r.keys).toContainEqual({ name: 'MetaData', cycle: 1, className: 'TTree' });
    expect(r.keys).toContainEqual({ name: 'MetaData', cycle: 2, className: 'TTree' });
    const highest = new Map<string, number>();
    for (const k of r.keys) if (k.className === 'TTree') highest.set(k.name, Math.max(highest.get(k.name) ?? 0, k.cycle));
    expect(r.trees.map((t) => `${t.name};${t.cycle}`).sort()).toEqual([...highest].map(([n, c]) => `${n};${c}`).sort());
    expect(r.trees).toHaveLength(9);
    expect(r.trees.find((t) => t.name === 'CollectionTree')).toMatchObject({ cycle: 1, entries: 40 });
    expect(r.trees.find((t) => t.name === 'MetaData')).toMatchObject({ cycle: 2 });
  });

  it('the text report summarises the file in its first lines', async () => {
    const r = await run('inspect', PHYSLITE);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${PHYSLITE}: ROOT file version 63202, 1641551 bytes, compression ZLIB level 1 (setting 101)`);
    expect(lines[1]).toBe('1 keys: CollectionTree;1 (TTree)');
    expect(lines[2]).toMatch(/^TTree CollectionTree;1: 100 entries, 1494 branches \(\d+ readable\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// dump
// ---------------------------------------------------------------------------------------------

interface DumpJson {
  tree: string;
  entries: number;
  entryStart: number;
  entryStop: number;
  branches: Record<string, unknown[]>;
}

async function dump(...args: string[]): Promise<{ text: string; json: DumpJson }> {
  const r = await run('dump', ...args);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  const json = JSON.parse(r.stdout) as DumpJson;
  expect(Object.keys(json)).toEqual(['tree', 'entries', 'entryStart', 'entryStop', 'branches']);
  return { text: r.stdout, json };
}

/** The raw text of one branch's list in the dump output (its value tokens are on that line). */
function branchText(text: string, branch: string): string {
  const at = text.indexOf(`"${branch}": `);
  expect(at, `${branch} in the output`).toBeGreaterThanOrEqual(0);
  const start = at + branch.length + 4;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unterminated list for ${branch}`);
}

describe('dump', () => {
  it('AnalysisElectronsAuxDyn.pt entry 0 prints the exact float tokens', async () => {
    const { text, json } = await dump(PHYSLITE, '--branch', 'AnalysisElectronsAuxDyn.pt', '--entry-stop', '1');
    expect(text).toContain('[54975.88671875,33754.9765625,4253.15576171875]');
    expect(json).toEqual({ tree: 'CollectionTree', entries: 100, entryStart: 0, entryStop: 1, branches: { 'AnalysisElectronsAuxDyn.pt': [[54975.88671875, 33754.9765625, 4253.15576171875]] } });
  });

  it('EventInfoAuxDyn.pileUpMixtureIDLowBits prints 64-bit integers exactly (jsroot and the basket bytes agree)', async () => {
    const branch = 'EventInfoAuxDyn.pileUpMixtureIDLowBits';
    const { text, json } = await dump(PHYSLITE, '--branch', branch);
    expect(json.entryStop).toBe(100);
    const tokens = branchText(text, branch).slice(1, -1).split(',');
    expect(tokens).toHaveLength(100);
    for (const t of tokens) expect(t).toMatch(/^\d+$/);

    // jsroot reads ULong64_t as BigInt.
    const jsTree = await openJsroot(PHYSLITE, 'CollectionTree');
    const reference = (await jsrootRead(jsTree, [branch])).get(branch)!;
    expect(tokens).toEqual(reference.map((v) => (v as bigint).toString()));

    // The basket, read here byte by byte: stored raw, 100 big-endian u64 after the key.
    const file = await RootFile.open(PHYSLITE);
    const loc = (await TreeReader.open(file, 'CollectionTree')).tree.byName.get(branch)!.baskets;
    await file.close();
    expect(loc).toHaveLength(1);
    const bytes = readFileSync(PHYSLITE).subarray(loc[0]!.seek, loc[0]!.seek + loc[0]!.bytes);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const keylen = v.getInt16(14);
    expect(v.getInt32(0) - keylen).toBe(v.getInt32(6)); // nbytes - keylen == objlen: not compressed
    const fromBytes = Array.from({ length: 100 }, (_, i) => v.getBigUint64(keylen + 8 * i).toString());
    expect(tokens).toEqual(fromBytes);

    const big = tokens.filter((t) => BigInt(t) > 2n ** 53n);
    expect(big.length).toBeGreaterThan(10);
    // Values a double cannot hold: the text was not produced through a JS number.
    expect(big.filter((t) => BigInt(Number(t)) !== BigInt(t)).length).toBeGreaterThan(10);
    expect(tokens[0]).toBe('2637169508758996058');
    expect(tokens[1]).toBe('14299547698498294838');
  });

  it('a negative --entry-start counts from the end', async () => {
    const { json } = await dump(PHYSLITE, '--branch', 'AnalysisElectrons', '--entry-start', '-2');
    expect([json.entryStart, json.entryStop, json.entries]).toEqual([98, 100, 100]);
    expect(json.branches.AnalysisElectrons).toEqual([2, 2]);
  });

  it('a negative --entry-stop counts from the end too', async () => {
    const { json } = await dump(PHYSLITE, '--branch', 'AnalysisElectrons', '--entry-start', '95', '--entry-stop', '-3');
    expect([json.entryStart, json.entryStop]).toEqual([95, 97]);
    expect(json.branches.AnalysisElectrons).toHaveLength(2);
  });

  it('an out-of-range --entry-start gives empty lists, not an error', async () => {
    const { text, json } = await dump(PHYSLITE, '--branch', 'AnalysisElectrons', '--branch', 'AnalysisElectronsAuxDyn.pt', '--entry-start', '500');
    expect([json.entryStart, json.entryStop]).toEqual([100, 100]);
    expect(json.branches).toEqual({ AnalysisElectrons: [], 'AnalysisElectronsAuxDyn.pt': [] });
    expect(text).toContain('"AnalysisElectrons": []');
  });

  it('a non-integer --entry-start is a usage error (exit 1)', async () => {
    const r = await run('dump', PHYSLITE, '--branch', 'AnalysisElectrons', '--entry-start', '1.5');
    expect(r.code).toBe(1);
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toContain('--entry-start');
  });

  it('ElementLinks print as {"m_persKey":k,"m_persIndex":i} with the values jsroot reads', async () => {
    const single = 'AnalysisElectronsAuxDyn.truthParticleLink';
    const nested = 'AnalysisElectronsAuxDyn.trackParticleLinks';
    const { text, json } = await dump(PHYSLITE, '--branch', single, '--branch', nested, '--entry-stop', '3');
    expect(text).toContain('[{"m_persKey":662974859,"m_persIndex":43},{"m_persKey":662974859,"m_persIndex":44},{"m_persKey":0,"m_persIndex":4294967295}]');
    const links = [...text.matchAll(/\{[^{}[\]]*\}/g)].map((m) => m[0]);
    expect(links.length).toBeGreaterThan(6);
    for (const l of links) expect(l).toMatch(/^\{"m_persKey":\d+,"m_persIndex":\d+\}$/);

    const jsTree = await openJsroot(PHYSLITE, 'CollectionTree');
    const ref = await jsrootRead(jsTree, [single, nested], { start: 0, stop: 3 });
    type Link = { m_persKey: number; m_persIndex: number };
    const strip = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(strip);
      const l = v as Link;
      return v && typeof v === 'object' && 'm_persKey' in v ? { m_persKey: l.m_persKey, m_persIndex: l.m_persIndex } : v;
    };
    expect(json.branches[single]).toEqual(strip(ref.get(single)));
    expect(json.branches[nested]).toEqual(strip(ref.get(nested)));
  });

  it('the DataVector branch AnalysisElectrons prints element counts, matching the AuxDyn list lengths', async () => {
    const { text, json } = await dump(PHYSLITE, '--branch', 'AnalysisElectrons', '--branch', 'AnalysisElectronsAuxDyn.pt');
    const counts = json.branches.AnalysisElectrons as number[];
    const pt = json.branches['AnalysisElectronsAuxDyn.pt'] as number[][];
    expect(counts).toHaveLength(100);
    for (const c of counts) expect(Number.isInteger(c)).toBe(true);
    expect(counts).toEqual(pt.map((l) => l.length));
    expect(counts.slice(0, 2)).toEqual([3, 1]);
    expect(counts.some((c) => c === 0)).toBe(true);
    expect(branchText(text, 'AnalysisElectrons')).toBe(`[${counts.join(',')}]`);
  });
});

// ---------------------------------------------------------------------------------------------
// stringify / formatNumber
// ---------------------------------------------------------------------------------------------

describe('json.ts stringify / formatNumber', () => {
  it('formatNumber: NaN and infinities as strings, -0 kept, shortest round-trip decimals', () => {
    expect(formatNumber(NaN)).toBe('"NaN"');
    expect(formatNumber(Infinity)).toBe('"Infinity"');
    expect(formatNumber(-Infinity)).toBe('"-Infinity"');
    expect(formatNumber(-0)).toBe('-0');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.1)).toBe('0.1');
    expect(formatNumber(Math.fround(0.1))).toBe('0.10000000149011612');
    expect(formatNumber(1e21)).toBe('1e+21');
    expect(formatNumber(5e-324)).toBe('5e-324');
    expect(formatNumber(-1.7976931348623157e308)).toBe('-1.7976931348623157e+308');
    expect(formatNumber(2 ** 53)).toBe('9007199254740992');
    for (const x of [0.1, Math.fround(0.1), 1e21, 5e-324, -1.7976931348623157e308, 123456.789]) expect(Number(JSON.parse(formatNumber(x)))).toBe(x);
  });

  it('stringify: valid JSON with non-finite values as strings and bigints as exact integer tokens', () => {
    const value = { a: [NaN, Infinity, -Infinity, -0, 1.5], big: 18446744073709551615n, neg: -9223372036854775808n, s: 'x"y', b: true, n: null, u: undefined };
    const compact = stringify(value);
    expect(compact).toBe('{"a":["NaN","Infinity","-Infinity",-0,1.5],"big":18446744073709551615,"neg":-9223372036854775808,"s":"x\\"y","b":true,"n":null}');
    const parsed = JSON.parse(compact);
    expect(parsed.a).toEqual(['NaN', 'Infinity', '-Infinity', -0, 1.5]);
    expect(Object.is(parsed.a[3], -0)).toBe(true);
    expect('u' in parsed).toBe(false);
  });

  it('stringify with indent: one line per entry of jagged data, flat records inline, still valid JSON', () => {
    const value = { tree: 't', branches: { x: [[1, NaN], [], [Infinity]], links: [[{ m_persKey: 1, m_persIndex: 2 }]] } };
    const text = stringify(value, 2);
    expect(text).toBe(
      [
        '{',
        '  "tree": "t",',
        '  "branches": {',
        '    "x": [',
        '      [1,"NaN"],',
        '      [],',
        '      ["Infinity"]',
        '    ],',
        '    "links": [',
        '      [{"m_persKey":1,"m_persIndex":2}]',
        '    ]',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(text)).toEqual({ tree: 't', branches: { x: [[1, 'NaN'], [], ['Infinity']], links: [[{ m_persKey: 1, m_persIndex: 2 }]] } });
  });
});

// ---------------------------------------------------------------------------------------------
// exit codes and error reports
// ---------------------------------------------------------------------------------------------

describe('exit codes and error reports', () => {
  let dir: string;
  let corrupt: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'physlite-cli-test-'));
    corrupt = join(dir, 'truncated.root');
    writeFileSync(corrupt, readFileSync(fixture('uproot-Zmumu.root')).subarray(0, 100_000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown command is a usage error (1) with one line naming it', async () => {
    const r = await run('frobnicate', PHYSLITE);
    expect(r.code).toBe(1);
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toContain('frobnicate');
    expect(r.stdout).toBe('');
  });

  it('no command at all is a usage error (1)', async () => {
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.stderrLines).toHaveLength(1);
  });

  it('an unknown option is a usage error (1) naming it', async () => {
    const r = await run('inspect', fixture('uproot-Zmumu.root'), '--bogus');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bogus');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('an unknown branch is a usage error (1): one stderr line naming the file and the branch', async () => {
    const path = fixture('uproot-Zmumu.root');
    const r = await run('dump', path, '--tree', 'events', '--branch', 'no_such_branch');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toContain(path);
    expect(r.stderrLines[0]).toContain('no_such_branch');
  });

  it('an unknown tree is a usage error (1) naming the file', async () => {
    const path = fixture('uproot-Zmumu.root');
    const r = await run('dump', path, '--tree', 'no_such_tree', '--branch', 'px1');
    expect(r.code).toBe(1);
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toContain(path);
  });

  it('a missing file is a permanent input error (2) naming the file', async () => {
    const path = join(dir, 'does-not-exist.root');
    for (const argv of [['inspect', path], ['dump', path, '--branch', 'x']]) {
      stderrChunks.length = 0;
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toContain(path);
    }
  });

  it('a truncated file is an input error (2): one stderr line naming the file, no stack trace', async () => {
    for (const argv of [['inspect', corrupt], ['inspect', corrupt, '--json'], ['dump', corrupt, '--tree', 'events', '--branch', 'px1']]) {
      stderrChunks.length = 0;
      const r = await run(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderrLines).toHaveLength(1);
      expect(r.stderrLines[0]).toContain(corrupt);
      expect(r.stderrLines[0]).toMatch(/^physlite: error: /);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });

  it('with --verbose the stack trace follows the error line', async () => {
    const r = await run('inspect', corrupt, '--verbose');
    expect(r.code).toBe(2);
    expect(r.stderrLines[0]).toContain(corrupt);
    expect(r.stderrLines.length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(STACK_LINE);
    expect(r.stderr).toContain('DeserializationError');
  });

  it.each([[['--log-format', 'json']], [['--log-format=json']]])('with %j the error is one JSON line with time, severity and message', async (flag) => {
    const r = await run('inspect', corrupt, ...flag);
    expect(r.code).toBe(2);
    expect(r.stderrLines).toHaveLength(1);
    const line = JSON.parse(r.stderrLines[0]!) as Record<string, unknown>;
    expect(typeof line.time).toBe('string');
    expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
    expect(Math.abs(Date.parse(line.time as string) - Date.now())).toBeLessThan(60_000);
    expect(line.severity).toBe('ERROR');
    expect(line.message).toContain(corrupt);
    expect(line.file).toBe(corrupt);
    expect(line.exitCode).toBe(2);
    expect(line.errorType).toBe('DeserializationError');
    expect(line.stack).toBeUndefined();
  });

  it('with --log-format json and --verbose the stack is a field of the one JSON line', async () => {
    const r = await run('inspect', corrupt, '--log-format', 'json', '--verbose');
    expect(r.code).toBe(2);
    expect(r.stderrLines).toHaveLength(1);
    const line = JSON.parse(r.stderrLines[0]!) as Record<string, unknown>;
    expect(line.severity).toBe('ERROR');
    expect(String(line.stack)).toMatch(STACK_LINE);
  });

  it('a usage error as JSON carries exit code 1', async () => {
    const r = await run('dump', fixture('uproot-Zmumu.root'), '--tree', 'events', '--branch', 'no_such_branch', '--log-format', 'json');
    expect(r.code).toBe(1);
    expect(r.stderrLines).toHaveLength(1);
    const line = JSON.parse(r.stderrLines[0]!) as Record<string, unknown>;
    expect([line.severity, line.exitCode, line.errorType]).toEqual(['ERROR', 1, 'UsageError']);
  });

  describe('the real process', () => {
    const nodeBin = join(PROJECT_ROOT, 'node_modules', '.bin', 'node');
    const spawn = (...args: string[]) => spawnSync(nodeBin, ['src/cli/main.ts', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });

    it('exits 0 and prints the report for a good file', () => {
      const p = spawn('inspect', fixture('uproot-Zmumu.root'));
      expect(p.error).toBeUndefined();
      expect(p.status, p.stderr).toBe(0);
      expect(p.stdout.split('\n')[0]).toBe(`${fixture('uproot-Zmumu.root')}: ROOT file version 60804, 178971 bytes, compression ZLIB level 4 (setting 104)`);
      expect(p.stderr).toBe('');
    });

    it('exits 2 with one stderr line for a truncated file', () => {
      const p = spawn('inspect', corrupt);
      expect(p.status).toBe(2);
      expect(p.stdout).toBe('');
      const lines = p.stderr.split('\n').filter((l) => l);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(corrupt);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Regressions: yargs ran the command after a usage error (fixed in src/cli/main.ts)
// ---------------------------------------------------------------------------------------------

describe('regressions: usage errors found in review (issue 2)', () => {
  // main.ts: yargs' .fail() callback records the UsageError but yargs still runs the command
  // handler; `dump` then reads args.branch (undefined) and its TypeError replaces the UsageError:
  // exit 2 with "internal error: Cannot read properties of undefined (reading 'map')".
  it('C1: a missing --branch is a usage error (1)', async () => {
    const r = await run('dump', fixture('uproot-Zmumu.root'), '--tree', 'events');
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(1);
    expect(r.stderrLines).toHaveLength(1);
    expect(r.stderrLines[0]).toContain('branch');
  });

  // Same cause: an unknown option is reported (exit 1) but the command has already run and
  // printed its whole report to stdout.
  it('C2: an unknown option does not run the command', async () => {
    const r = await run('inspect', fixture('uproot-Zmumu.root'), '--bogus');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
  });

});

// ---------------------------------------------------------------------------------------------
// RNTuple (issue 9)
// ---------------------------------------------------------------------------------------------

describe('RNTuple through inspect and dump', () => {
  const RNTUPLE = fixture('uproot-physlite-rntuple_v1-0-0-0.root');

  it('inspect --json lists the RNTuples with kind "RNTuple" under the same contract', async () => {
    const r = await inspectJson(RNTUPLE);
    checkInspectContract(r);
    expect(r.keys).toContainEqual({ name: 'EventData', cycle: 1, className: 'ROOT::RNTuple' });
    expect(r.trees.filter((t) => t.kind === 'RNTuple').map((t) => t.name)).toEqual(['DataHeader', 'DataHeaderForm', 'EventData', 'EventTag']);
    const text = await run('inspect', RNTUPLE);
    expect(text.stdout).toMatch(/^RNTuple EventData;1: 100 entries, 854 top-level fields \(806 readable\)/m);
  });

  it('dump --tree EventData --branch AnalysisMuonsAuxDyn:pt; EventData is the default', async () => {
    const r = await run('dump', RNTUPLE, '--tree', 'EventData', '--branch', 'AnalysisMuonsAuxDyn:pt', '--branch', 'AnalysisElectronsAuxDyn:pt', '--entry-stop', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      tree: 'EventData',
      entries: 100,
      entryStart: 0,
      entryStop: 2,
      branches: { 'AnalysisMuonsAuxDyn:pt': [[19838.662109375], [11449.1796875]], 'AnalysisElectronsAuxDyn:pt': [[], [23935.30859375]] },
    });
    const d = await run('dump', RNTUPLE, '--branch', 'EventInfoAuxDyn:eventNumber', '--entry-start', '-1');
    expect(d.code, d.stderr).toBe(0);
    expect(JSON.parse(d.stdout)).toMatchObject({ tree: 'EventData', entryStart: 99, entryStop: 100 });
  });

  it('an unknown field or a class without values is one error line', async () => {
    const unknown = await run('dump', RNTUPLE, '--tree', 'EventData', '--branch', 'AnalysisMuonsAuxDyn:ptt');
    expect(unknown.code).toBe(1);
    expect(unknown.stderrLines).toHaveLength(1);
    expect(unknown.stderr).toMatch(/no field "AnalysisMuonsAuxDyn:ptt" in RNTuple EventData; similar: .*AnalysisMuonsAuxDyn:pt/);
    const empty = await run('dump', RNTUPLE, '--tree', 'EventData', '--branch', 'AnalysisElectronsAux:');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/field cannot be read: no values: xAOD::AuxContainerBase has no columns .*branch AnalysisElectronsAux:/);
    expect(empty.stderr).not.toMatch(STACK_LINE);
  });
});

