/**
 * What a written Parquet file holds, read from its footer (FileMetaData, Thrift compact protocol)
 * in JavaScript: the row count and, per leaf column (path joined with '.'), the number of level
 * entries over all row groups. Every other field is skipped without being decoded.
 * Only what verification and the manifest need is decoded, so a 2 GB input's ~50 MB footer
 * (hundreds of row groups times ~1,000 columns) costs no more memory than its bytes.
 */
import { open } from 'node:fs/promises';

export interface FooterSummary {
  rows: number;
  /** Level entries (values plus empty and null entries) per leaf column path, summed over row groups. */
  columnValues: Map<string, number>;
  rowGroups: number;
}

const MAGIC = 0x31524150; // "PAR1", little-endian

export async function readFooterSummary(path: string): Promise<FooterSummary> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 12) throw new Error(`not a Parquet file: ${size} bytes`);
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    const length = tail.readUInt32LE(0);
    if (tail.readUInt32LE(4) !== MAGIC) throw new Error('not a Parquet file: no PAR1 at the end');
    if (length > size - 12) throw new Error(`Parquet footer length ${length} exceeds the file (${size} bytes)`);
    const footer = Buffer.alloc(length);
    await handle.read(footer, 0, length, size - 8 - length);
    return parseFooter(footer);
  } finally {
    await handle.close();
  }
}

// Thrift compact protocol type codes.
const T = { STOP: 0, TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

/** The summary of a FileMetaData structure. */
export function parseFooter(bytes: Uint8Array): FooterSummary {
  const r = new CompactReader(bytes);
  const out: FooterSummary = { rows: 0, columnValues: new Map(), rowGroups: 0 };
  r.struct((id, type) => {
    if (id === 3 && type === T.I64) out.rows = r.int();
    else if (id === 4 && type === T.LIST) {
      r.list(T.STRUCT, () => {
        out.rowGroups++;
        r.struct((gid, gtype) => {
          if (gid !== 1 || gtype !== T.LIST) return r.skip(gtype);
          r.list(T.STRUCT, () => columnChunk(r, out.columnValues));
        });
      });
    } else r.skip(type);
  });
  return out;
}

/** ColumnChunk.meta_data (3): path_in_schema (3) and num_values (5). */
function columnChunk(r: CompactReader, values: Map<string, number>): void {
  r.struct((id, type) => {
    if (id !== 3 || type !== T.STRUCT) return r.skip(type);
    let path: string[] = [];
    let n = 0;
    r.struct((mid, mtype) => {
      if (mid === 3 && mtype === T.LIST) {
        path = [];
        r.list(T.BINARY, () => path.push(r.string()));
      } else if (mid === 5 && mtype === T.I64) n = r.int();
      else r.skip(mtype);
    });
    const key = path.join('.');
    values.set(key, (values.get(key) ?? 0) + n);
  });
}

class CompactReader {
  private at = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly b: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.b = bytes;
  }

  private byte(): number {
    if (this.at >= this.b.length) throw new Error(`Parquet footer truncated at byte ${this.at}`);
    return this.b[this.at++]!;
  }

  /** Unsigned varint (exact up to 2^53). */
  private varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const c = this.byte();
      result += (c & 0x7f) * scale;
      if ((c & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error(`Parquet footer: varint too long at byte ${this.at}`);
  }

  /** A zigzag-encoded i16/i32/i64 (exact up to 2^53 in magnitude). */
  int(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  string(): string {
    const n = this.varint();
    if (this.at + n > this.b.length) throw new Error(`Parquet footer truncated in a string at byte ${this.at}`);
    const s = this.decoder.decode(this.b.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }

  /** Calls `field(id, type)` for each field; `field` must consume the value (or skip it). */
  struct(field: (id: number, type: number) => void): void {
    let last = 0;
    for (;;) {
      const h = this.byte();
      const type = h & 0x0f;
      if (type === T.STOP) return;
      const delta = h >> 4;
      const id = delta === 0 ? this.int() : last + delta;
      last = id;
      if (type === T.TRUE || type === T.FALSE) continue; // the value is the type
      field(id, type);
    }
  }

  /** A list whose elements must be of type `want`; `element` consumes each. */
  list(want: number, element: () => void): void {
    const h = this.byte();
    const n = h >> 4 === 15 ? this.varint() : h >> 4;
    const type = h & 0x0f;
    if (n > 0 && type !== want) throw new Error(`Parquet footer: list of type ${type}, expected ${want}, at byte ${this.at}`);
    for (let i = 0; i < n; i++) element();
  }

  skip(type: number): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
      case T.BYTE:
        // A struct's booleans are in their field header; elsewhere a value takes one byte.
        this.byte();
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.varint();
        return;
      case T.DOUBLE:
        this.advance(8);
        return;
      case T.BINARY:
        this.advance(this.varint());
        return;
      case T.LIST:
      case T.SET: {
        const h = this.byte();
        const n = h >> 4 === 15 ? this.varint() : h >> 4;
        const et = h & 0x0f;
        for (let i = 0; i < n; i++) this.skip(et);
        return;
      }
      case T.MAP: {
        const n = this.varint();
        if (n === 0) return;
        const kv = this.byte();
        for (let i = 0; i < n; i++) {
          this.skip(kv >> 4);
          this.skip(kv & 0x0f);
        }
        return;
      }
      case T.STRUCT:
        this.struct((_id, t) => this.skip(t));
        return;
      default:
        throw new Error(`Parquet footer: unknown Thrift type ${type} at byte ${this.at}`);
    }
  }

  private advance(n: number): void {
    if (this.at + n > this.b.length) throw new Error(`Parquet footer truncated at byte ${this.at}`);
    this.at += n;
  }
}
