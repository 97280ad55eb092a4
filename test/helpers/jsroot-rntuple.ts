/**
 * jsroot's RNTuple reader as a reference (tests only): every requested field entry by entry with
 * one rntupleProcess. Its objects are normalised to the project's shapes: base-class sub-objects
 * (`:_0`) flattened into their owner, pairs keep first/second, DataVector fields (jsroot returns
 * the raw cluster-local end index) turned into per-entry counts.
 */
import { TSelector } from 'jsroot/tree';
import { rntupleProcess } from 'jsroot/rntuple';
import { normalizeJsroot } from './compare.ts';
import { openJsroot } from './jsroot.ts';

export const openJsrootRNTuple = openJsroot;

export async function jsrootReadFields(rntuple: any, names: string[]): Promise<Map<string, unknown[]>> {
  const selector = new TSelector();
  const out = new Map<string, unknown[]>();
  names.forEach((n, i) => {
    selector.addBranch(n as never, `b${i}`);
    out.set(n, []);
  });
  selector.Process = function () {
    names.forEach((n, i) => out.get(n)!.push(structuredClone(this.tgtobj[`b${i}`])));
  };
  await rntupleProcess(rntuple, selector);
  return out;
}

/** jsroot's values in the project's shapes. */
export function normalizeRNTupleValue(v: unknown): unknown {
  const x = normalizeJsroot(v);
  const flatten = (y: unknown): unknown => {
    if (Array.isArray(y)) return y.map(flatten);
    if (y && typeof y === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(y as Record<string, unknown>)) {
        const f = flatten(val);
        if (k.startsWith(':') && f && typeof f === 'object' && !Array.isArray(f)) Object.assign(out, f);
        else out[k] = f;
      }
      return out;
    }
    return y;
  };
  return flatten(x);
}

/** jsroot gives a DataVector field as the cluster's running end index: the differences are the counts. */
export function countsFromEnds(ends: unknown[]): number[] {
  let prev = 0;
  return ends.map((e) => {
    const n = Number(e);
    const c = n - prev;
    prev = n;
    return c;
  });
}
