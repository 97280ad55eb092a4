/**
 * The JSON text of `dump` and other contracts: floating-point values as the shortest decimal that
 * reads back to the same float64 (NaN and infinities as the strings "NaN", "Infinity",
 * "-Infinity"), 64-bit integers as exact integer tokens, everything else as JSON.stringify would.
 */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '"NaN"';
  if (x === Infinity) return '"Infinity"';
  if (x === -Infinity) return '"-Infinity"';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

export function stringify(value: unknown, indent = 0, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      return formatNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    default:
      break;
  }
  const nl = indent ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
  const end = indent ? '\n' + ' '.repeat(indent * depth) : '';
  const sep = indent ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    // Arrays of scalars (or of small records such as ElementLinks) stay on one line, so jagged
    // data prints one entry per line.
    const flat = value.every((v) => isScalar(v) || isFlatRecord(v));
    if (flat || !indent) return '[' + value.map((v) => stringify(v, 0)).join(',') + ']';
    return '[' + nl + value.map((v) => stringify(v, indent, depth + 1)).join(',' + nl) + end + ']';
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  if (!indent || isFlatRecord(value)) return '{' + entries.map(([k, v]) => JSON.stringify(k) + sep + stringify(v, 0)).join(',') + '}';
  return '{' + nl + entries.map(([k, v]) => JSON.stringify(k) + sep + stringify(v, indent, depth + 1)).join(',' + nl) + end + '}';
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

function isFlatRecord(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isScalar);
}
