/**
 * C++ type names as ROOT writes them (`vector<vector<float> >`, `ElementLink<DataVector<X> >`,
 * `vector<pair<string,string> >`, `ULong64_t`) parsed into a small type tree that the
 * interpretation registry matches on.
 */
import type { Prim } from './builders.ts';
import { ST } from '../streamers.ts';

export type TypeNode =
  | { kind: 'prim'; prim: Prim; name: string }
  | { kind: 'string'; name: string }
  | { kind: 'vector'; inner: TypeNode; name: string; container: string }
  | { kind: 'pair'; first: TypeNode; second: TypeNode; name: string }
  | { kind: 'elementlink'; name: string }
  | { kind: 'datavector'; name: string }
  | { kind: 'class'; name: string };

const PRIMS: Record<string, Prim> = {
  bool: 'bool',
  Bool_t: 'bool',
  char: 'i8',
  Char_t: 'i8',
  'signed char': 'i8',
  int8_t: 'i8',
  'unsigned char': 'u8',
  UChar_t: 'u8',
  uint8_t: 'u8',
  short: 'i16',
  Short_t: 'i16',
  int16_t: 'i16',
  'unsigned short': 'u16',
  UShort_t: 'u16',
  uint16_t: 'u16',
  int: 'i32',
  Int_t: 'i32',
  int32_t: 'i32',
  'unsigned int': 'u32',
  unsigned: 'u32',
  UInt_t: 'u32',
  uint32_t: 'u32',
  long: 'i64',
  Long_t: 'i64',
  'long long': 'i64',
  Long64_t: 'i64',
  int64_t: 'i64',
  'unsigned long': 'u64',
  ULong_t: 'u64',
  'unsigned long long': 'u64',
  ULong64_t: 'u64',
  uint64_t: 'u64',
  size_t: 'u64',
  float: 'f32',
  Float_t: 'f32',
  double: 'f64',
  Double_t: 'f64',
};

const SEQUENCES = new Set(['vector', 'set', 'list', 'deque', 'multiset', 'unordered_set', 'RVec', 'ROOT::VecOps::RVec']);

export function primOf(name: string): Prim | undefined {
  return PRIMS[name.trim()];
}

/** Split `a<b,c<d>>` into the head `a` and its top-level template arguments. */
function splitTemplate(name: string): { head: string; args: string[] } | undefined {
  const lt = name.indexOf('<');
  if (lt < 0 || !name.endsWith('>')) return undefined;
  const head = name.slice(0, lt).trim();
  const body = name.slice(lt + 1, -1);
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      args.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(body.slice(start).trim());
  return { head, args };
}

const parsed = new Map<string, TypeNode>();

/** Parse (memoized: a dataset repeats the same few hundred type names in every file). */
export function parseTypeName(raw: string): TypeNode {
  let node = parsed.get(raw);
  if (!node) {
    node = parseUncached(raw);
    if (parsed.size < 100_000) parsed.set(raw, node);
  }
  return node;
}

function parseUncached(raw: string): TypeNode {
  const name = raw.replace(/std::/g, '').replace(/\s+/g, ' ').trim();
  const prim = primOf(name);
  if (prim) return { kind: 'prim', prim, name };
  if (name === 'string' || name === 'TString') return { kind: 'string', name };
  const t = splitTemplate(name);
  if (t) {
    if (SEQUENCES.has(t.head) && t.args.length >= 1) {
      return { kind: 'vector', inner: parseTypeName(t.args[0]!), name, container: t.head };
    }
    if (t.head === 'pair' && t.args.length === 2) {
      return { kind: 'pair', first: parseTypeName(t.args[0]!), second: parseTypeName(t.args[1]!), name };
    }
    if (t.head === 'ElementLink') return { kind: 'elementlink', name };
    if (t.head === 'DataVector') return { kind: 'datavector', name };
  }
  return { kind: 'class', name };
}

/** The Arrow primitive of a basic TStreamerElement type code (Double32_t is stored as float). */
export const STREAMER_PRIMS: Readonly<Record<number, Prim>> = {
  [ST.char]: 'i8',
  [ST.legacyChar]: 'i8',
  [ST.short]: 'i16',
  [ST.int]: 'i32',
  [ST.long]: 'i64',
  [ST.float]: 'f32',
  [ST.counter]: 'i32',
  [ST.double]: 'f64',
  [ST.double32]: 'f32',
  [ST.uchar]: 'u8',
  [ST.ushort]: 'u16',
  [ST.uint]: 'u32',
  [ST.ulong]: 'u64',
  [ST.bits]: 'u32',
  [ST.long64]: 'i64',
  [ST.ulong64]: 'u64',
  [ST.bool]: 'bool',
};
