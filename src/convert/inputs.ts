/**
 * Input lists: files, directories (every file in them that starts with the ROOT magic bytes,
 * whatever its extension: grid files end in .pool.root.1), globs, and @list.txt files with one
 * input a line. Order is kept and duplicates are dropped.
 */
import { glob, open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.ts';

async function isRoot(path: string): Promise<boolean> {
  const h = await open(path, 'r').catch(() => null);
  if (!h) return false;
  try {
    const b = new Uint8Array(4);
    const { bytesRead } = await h.read(b, 0, 4, 0);
    return bytesRead === 4 && b[0] === 0x72 && b[1] === 0x6f && b[2] === 0x6f && b[3] === 0x74;
  } finally {
    await h.close();
  }
}

export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
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
      for (const line of text.split('\n').map((l) => l.trim())) if (line && !line.startsWith('#')) for (const p of await expandInputs([line])) add(p);
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
        if ((await stat(p)).isFile() && (await isRoot(p))) add(p);
      }
      continue;
    }
    add(input);
  }
  return out;
}
