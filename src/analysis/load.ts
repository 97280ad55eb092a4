/**
 * Loading an analysis: the built-in one by name, or a user module (.ts or .js) whose default export
 * (or `analysis` export) is an Analysis. Node 24 runs TypeScript modules directly (type
 * stripping), so a custom analysis needs no build step. Parameters given on the command line
 * (`key=value`) override the analysis defaults, typed by the defaults (number, boolean, string).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.ts';
import type { Analysis } from './api.ts';

export const BUILTIN = 'builtin';

/** The SHA-256 of a custom analysis module (a plan pins it, so every shard runs the same code); undefined for the built-in one. */
export async function analysisDigest(spec: string = BUILTIN): Promise<string | undefined> {
  if (spec === BUILTIN) return undefined;
  const bytes = await readFile(resolve(spec)).catch(() => {
    throw new UsageError(`analysis module ${spec} does not exist`);
  });
  return createHash('sha256').update(bytes).digest('hex');
}

export async function loadAnalysis(spec: string = BUILTIN): Promise<Analysis<Record<string, unknown>>> {
  let mod: Record<string, unknown>;
  if (spec === BUILTIN) {
    mod = (await import(new URL(import.meta.url.endsWith('.ts') ? './builtin.ts' : './builtin.js', import.meta.url).href)) as Record<string, unknown>;
  } else {
    const path = resolve(spec);
    if (!existsSync(path)) throw new UsageError(`analysis module ${spec} does not exist`);
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`analysis module ${spec} failed to load: ${(err as Error).message}`);
    }
  }
  const a = (mod.default ?? mod.analysis) as Analysis<Record<string, unknown>> | undefined;
  if (!a || typeof a.process !== 'function' || typeof a.columns !== 'function' || typeof a.histograms !== 'function') {
    throw new UsageError(`analysis module ${spec} must export default defineAnalysis({ name, params, columns, histograms, process })`);
  }
  return a;
}

/** Defaults overridden by `key=value` pairs, each converted to its default's type. */
export function resolveParams(a: Analysis<Record<string, unknown>>, pairs: readonly string[] = []): Record<string, unknown> {
  const params: Record<string, unknown> = { ...a.params };
  for (const pair of pairs) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
    if (!m) throw new UsageError(`--param takes key=value, got "${pair}"`);
    const [, key, text] = m as unknown as [string, string, string];
    if (!(key in params)) throw new UsageError(`analysis ${a.name} has no parameter ${key} (it has: ${Object.keys(a.params).join(', ')})`);
    const def = params[key];
    if (typeof def === 'number') {
      const v = Number(text);
      if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--param ${key} needs a number, got "${text}"`);
      params[key] = v;
    } else if (typeof def === 'boolean') {
      if (text !== 'true' && text !== 'false') throw new UsageError(`--param ${key} needs true or false, got "${text}"`);
      params[key] = text === 'true';
    } else params[key] = text;
  }
  return params;
}
