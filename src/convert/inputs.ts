/**
 * Input lists: files, directories (every file in them that starts with the ROOT magic bytes, or
 * for the analysis also Parquet's, whatever its extension: grid files end in .pool.root.1), globs, and @list.txt files with one
 * input a line. Order is kept and duplicates are dropped.
 */
import { glob, open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.ts';

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

export const isRoot = (path: string): Promise<boolean> => startsWith(path, 'root');
export const isParquet = (path: string): Promise<boolean> => startsWith(path, 'PAR1');
export const isRootOrParquet = async (path: string): Promise<boolean> => (await isRoot(path)) || (await isParquet(path));

/** Inputs expanded to files; in directories, only files that `accept` recognises by content. */
export async function expandInputs(inputs: readonly string[], accept: (path: string) => Promise<boolean> = isRoot): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const input of inputs) {
    if (input.startsWith('@')) {
      const text = await readFile(input.slice(1), 'utf8').catch((err) => {
        throw new UsageError(`cannot read input list ${input.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? err}`);
      });
      for (const line of text.split('\n').map((l) => l.trim())) if (line && !line.startsWith('#')) for (const p of await expandInputs([line], accept)) add(p);
      continue;
    }
    if (/[*?[{]/.test(input)) {
      const matches: string[] = [];
      for await (const m of glob(input)) matches.push(m);
      if (matches.length === 0) throw new UsageError(`no file matches ${input}`);
      for (const m of matches.sort()) if ((await stat(m)).isFile()) add(m);
      continue;
    }
    const st = await stat(input).catch(() => null);
    if (!st) throw new InputError('no such file or directory', { file: input });
    if (st.isDirectory()) {
      const names = (await readdir(input)).sort();
      for (const n of names) {
        const p = join(input, n);
        if ((await stat(p)).isFile() && (await accept(p))) add(p);
      }
      continue;
    }
    add(input);
  }
  return out;
}
