/**
 * Input lists: files, directories (every file in them that starts with the ROOT magic bytes, or
 * for the analysis also Parquet's, whatever its extension: grid files end in .pool.root.1), globs, URLs (https://, davs://, gs://
 * objects, gs:// globs and prefixes listed through the client), @list.txt files with one input a
 * line (a `rucio list-file-replicas --pfns` output is such a list), and Rucio metalinks. Each
 * input is an InputSpec: its identity and its replicas. Order is kept and duplicates are dropped.
 */
import { glob, open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.ts';
import { listGs } from '../root/source/gcs.ts';
import { openSource, type OpenOptions } from '../root/source/open.ts';
import { isUrl, schemeOf } from '../root/source/url.ts';
import type { GcsOptions } from '../gcs/client.ts';
import { specsFromLines, specsFromMetalink, type InputSpec, type ReplicaPreferences } from './replicas.ts';

export interface InputOptions {
  metalinks?: readonly string[];
  prefs?: ReplicaPreferences;
  gcs?: GcsOptions;
  /** Which files of a directory are inputs, by content (default: ROOT files). */
  accept?: (path: string) => Promise<boolean>;
  /** Which objects under a gs:// prefix are inputs, by name (default: names with `.root`). */
  acceptName?: (name: string) => boolean;
}

async function startsWith(path: string, magic: string): Promise<boolean> {
  const h = await open(path, 'r').catch(() => null);
  if (!h) return false;
  try {
    const b = Buffer.alloc(4);
    const { bytesRead } = await h.read(b, 0, 4, 0);
    return bytesRead === 4 && b.toString('latin1') === magic;
  } finally {
    await h.close();
  }
}

/**
 * Objects whose name, or a folder of whose path, starts with `_` or `.` are bookkeeping (ledgers,
 * manifests, shard records), never inputs: the convention of Hadoop and Spark datasets.
 */
export function isBookkeeping(url: string): boolean {
  const path = url.replace(/^gs:\/\/[^/]+\//, '');
  return path.split('/').some((part) => part.startsWith('_') || part.startsWith('.'));
}

export const isRoot = (path: string): Promise<boolean> => startsWith(path, 'root');
export const isParquet = (path: string): Promise<boolean> => startsWith(path, 'PAR1');
export const isRootOrParquet = async (path: string): Promise<boolean> => (await isRoot(path)) || (await isParquet(path));
/**
 * The by-name counterpart of isRootOrParquet for listed objects (a listing gives no bytes): ROOT
 * names contain `.root` (grid files end in .pool.root.1), Parquet names end in `.parquet`.
 */
export const isRootOrParquetName = (name: string): boolean => name.endsWith('.parquet') || name.includes('.root');

export async function expandInputs(inputs: readonly string[], o: InputOptions = {}): Promise<InputSpec[]> {
  const out: InputSpec[] = [];
  const seen = new Set<string>();
  const add = (spec: InputSpec): void => {
    if (!seen.has(spec.id)) {
      seen.add(spec.id);
      out.push(spec);
    }
  };
  const local = (p: string): void => add({ id: p, replicas: [p] });
  for (const m of o.metalinks ?? []) {
    const xml = await readFile(m, 'utf8').catch((err) => {
      throw new UsageError(`cannot read metalink ${m}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    });
    const specs = specsFromMetalink(xml, o.prefs);
    if (specs.length === 0) throw new UsageError(`metalink ${m} lists no file`);
    specs.forEach(add);
  }
  // URLs of one list are grouped, so the replicas of a Rucio file become one input.
  const urls: string[] = [];
  for (const input of inputs) {
    if (input.startsWith('@')) {
      const text = await readFile(input.slice(1), 'utf8').catch((err) => {
        throw new UsageError(`cannot read input list ${input.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      });
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      const plainUrls = lines.filter((l) => isUrl(l) && !(schemeOf(l) === 'gs' && /[*?[{]|\/$/.test(l)));
      specsFromLines(plainUrls, o.prefs).forEach(add);
      for (const spec of await expandInputs(lines.filter((l) => !plainUrls.includes(l)), { ...o, metalinks: [] })) add(spec);
      continue;
    }
    if (schemeOf(input) === 'gs' && /[*?[{]|\/$/.test(input)) {
      const objects = (await listGs(input, { ...o.gcs, ...(o.acceptName ? { keepName: o.acceptName } : {}) })).filter((x) => !isBookkeeping(x.url));
      if (objects.length === 0) throw new UsageError(`no object matches ${input}`);
      for (const x of objects) add({ id: x.url, replicas: [x.url], size: x.size });
      continue;
    }
    if (isUrl(input)) {
      urls.push(input);
      continue;
    }
    if (/[*?[{]/.test(input)) {
      const matches: string[] = [];
      for await (const m of glob(input)) matches.push(m);
      if (matches.length === 0) throw new UsageError(`no file matches ${input}`);
      for (const m of matches.sort()) if ((await stat(m)).isFile()) local(m);
      continue;
    }
    const st = await stat(input).catch(() => null);
    if (!st) throw new InputError('no such file or directory', { file: input });
    if (st.isDirectory()) {
      const names = (await readdir(input)).sort();
      for (const n of names) {
        const p = join(input, n);
        if ((await stat(p)).isFile() && (await (o.accept ?? isRoot)(p))) local(p);
      }
      continue;
    }
    local(input);
  }
  specsFromLines(urls, o.prefs).forEach(add);
  return out;
}

/** The size of an input: known from its listing or metalink, a local stat, or one small request. */
export async function inputSize(spec: InputSpec, o: OpenOptions = {}): Promise<number> {
  if (spec.size !== undefined && spec.size >= 0) return spec.size;
  const first = spec.replicas[0]!;
  if (schemeOf(first) === 'file') {
    const st = await stat(first).catch(() => null);
    if (st) return st.size;
  }
  const source = await openSource(first, { ...o, fetch: 'ranges', probeOnly: true });
  await source.close();
  return source.size;
}
