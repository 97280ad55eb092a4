/**
 * Value comparison between the project's reader (Arrow -> JS values) and jsroot's objects.
 * jsroot returns typed arrays for numeric vectors, `_typename` on objects, `{This: [...]}` for
 * DataVectors and Number or BigInt for 64-bit integers; all of that is normalised here.
 * Floats compare exactly (bit for bit once widened), NaN equals NaN.
 */
export function normalizeJsroot(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>);
  if (Array.isArray(v)) return v.map(normalizeJsroot);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.This)) return o.This.map(normalizeJsroot);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) if (k !== '_typename') out[k] = normalizeJsroot(x);
    return out;
  }
  return v;
}

/** First difference between mine and theirs as a path string, or undefined when equal. */
export function difference(mine: unknown, theirs: unknown, path = ''): string | undefined {
  if (typeof mine === 'bigint') {
    if ((typeof theirs === 'number' && Number.isInteger(theirs)) || typeof theirs === 'bigint') {
      return BigInt(theirs) === mine ? undefined : `${path}: ${mine} != ${theirs}`;
    }
    return `${path}: bigint ${mine} vs ${typeof theirs} ${String(theirs)}`;
  }
  if (typeof mine === 'number') {
    if (typeof theirs === 'number' && Object.is(mine, theirs)) return undefined;
    if (typeof theirs === 'number' && mine === theirs) return undefined;
    // a DataVector count against jsroot's list of elements
    if (Array.isArray(theirs) && theirs.length === mine) return undefined;
    return `${path}: ${mine} != ${String(theirs)}`;
  }
  if (typeof mine === 'boolean') {
    if (theirs === mine || theirs === (mine ? 1 : 0)) return undefined;
    return `${path}: ${mine} != ${String(theirs)}`;
  }
  if (typeof mine === 'string') return mine === theirs ? undefined : `${path}: ${JSON.stringify(mine)} != ${JSON.stringify(theirs)}`;
  if (Array.isArray(mine)) {
    if (!Array.isArray(theirs)) return `${path}: array vs ${typeof theirs}`;
    if (mine.length !== theirs.length) return `${path}: length ${mine.length} != ${theirs.length}`;
    for (let i = 0; i < mine.length; i++) {
      const d = difference(mine[i], theirs[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (mine && typeof mine === 'object') {
    if (!theirs || typeof theirs !== 'object') return `${path}: object vs ${String(theirs)}`;
    for (const [k, v] of Object.entries(mine)) {
      const d = difference(v, (theirs as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return mine === theirs ? undefined : `${path}: ${String(mine)} != ${String(theirs)}`;
}
