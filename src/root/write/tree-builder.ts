/**
 * TreeBuilder: a TTree written from scratch (no template): plain TBranch/TLeaf scalar branches and
 * top-level TBranchElement branches of `vector<T>` / `vector<string>`, with ROOT's own record
 * layouts (core-streamers.ts). Entries are appended as values; each branch encodes them in ROOT's
 * layout (big-endian scalars; collections as byte count, version 9, size, items) into its
 * BranchBasketWriter, and `close` writes the TTree record and the StreamerInfo.
 */
import { UsageError } from '../../errors.ts';
import type { Prim } from '../interpret/builders.ts';
import type { RootObject } from '../object-reader.ts';
import { settingNumber } from '../compression/compress.ts';
import { BranchBasketWriter, branchRecordFields } from './basket-writer.ts';
import { CORE_STREAMER_INFOS, coreStreamers } from './core-streamers.ts';
import type { RootFileWriter } from './file-writer.ts';
import { ObjectWriter, streamerInfoPayload } from './object-writer.ts';
import { Out } from './out.ts';

export type ColumnKind = { kind: 'scalar'; prim: Prim } | { kind: 'vector'; prim: Prim } | { kind: 'strings' };

const LEAF: Record<string, { leaf: string; code: string; lenType: number; unsigned: boolean; cxx: string }> = {
  i32: { leaf: 'TLeafI', code: 'I', lenType: 4, unsigned: false, cxx: 'int' },
  u32: { leaf: 'TLeafI', code: 'i', lenType: 4, unsigned: true, cxx: 'unsigned int' },
  i64: { leaf: 'TLeafL', code: 'L', lenType: 8, unsigned: false, cxx: 'Long64_t' },
  u64: { leaf: 'TLeafL', code: 'l', lenType: 8, unsigned: true, cxx: 'ULong64_t' },
  f32: { leaf: 'TLeafF', code: 'F', lenType: 4, unsigned: false, cxx: 'float' },
  f64: { leaf: 'TLeafD', code: 'D', lenType: 8, unsigned: false, cxx: 'double' },
  i8: { leaf: 'TLeafB', code: 'B', lenType: 1, unsigned: false, cxx: 'char' },
  u8: { leaf: 'TLeafB', code: 'b', lenType: 1, unsigned: true, cxx: 'unsigned char' },
  i16: { leaf: 'TLeafS', code: 'S', lenType: 2, unsigned: false, cxx: 'short' },
  u16: { leaf: 'TLeafS', code: 's', lenType: 2, unsigned: true, cxx: 'unsigned short' },
};

const WIDTH: Record<Prim, number> = { bool: 1, i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, f32: 4, f64: 8 };

function putPrim(out: Out, prim: Prim, v: number | bigint): void {
  switch (prim) {
    case 'f32':
      out.f32(Number(v));
      return;
    case 'f64':
      out.f64(Number(v));
      return;
    case 'i8':
    case 'u8':
    case 'bool':
      out.u8(Number(v));
      return;
    case 'i16':
    case 'u16':
      out.u16(Number(v));
      return;
    case 'i32':
    case 'u32':
      out.u32(Number(v));
      return;
    case 'i64':
      out.i64(v);
      return;
    case 'u64':
      out.u64(v);
      return;
  }
}

const tobjArray = (arr: unknown[]): RootObject => ({ _typename: 'TObjArray', fName: '', fLowerBound: 0, fUniqueID: 0, fBits: 0x03000000, arr });

interface Column {
  name: string;
  kind: ColumnKind;
  writer: BranchBasketWriter;
  record: RootObject;
}

export class TreeBuilder {
  readonly name: string;
  readonly title: string;
  readonly autoFlush: number;
  private readonly file: RootFileWriter;
  private readonly columns: Column[] = [];
  private readonly byName = new Map<string, Column>();
  private readonly scratch = new Out(1 << 12);
  private entries = 0;

  constructor(file: RootFileWriter, name: string, title: string, autoFlush = 500) {
    this.file = file;
    this.name = name;
    this.title = title;
    this.autoFlush = autoFlush;
  }

  addColumn(name: string, kind: ColumnKind): void {
    if (this.byName.has(name)) throw new UsageError(`branch ${name} defined twice`);
    const variable = kind.kind !== 'scalar';
    const width = kind.kind === 'strings' ? 1 : WIDTH[kind.prim];
    const writer = new BranchBasketWriter(name, this.name, variable, variable ? 1000 : width, variable ? 128 * 1024 : 32000);
    const record = kind.kind === 'scalar' ? this.scalarRecord(name, kind.prim) : this.vectorRecord(name, kind.kind === 'strings' ? 'string' : LEAF[kind.prim]!.cxx);
    const column = { name, kind, writer, record };
    this.columns.push(column);
    this.byName.set(name, column);
  }

  private branchBase(name: string, title: string, entryOffsetLen: number, leaf: RootObject, className: string): RootObject {
    return {
      _typename: className,
      fName: name,
      fTitle: title,
      fUniqueID: 0,
      fBits: 0x03000000,
      fFillColor: 0,
      fFillStyle: 1001,
      fCompress: settingNumber(this.file.compression),
      fBasketSize: entryOffsetLen ? 128 * 1024 : 32000,
      fEntryOffsetLen: entryOffsetLen,
      fWriteBasket: 0,
      fEntryNumber: 0,
      fIOFeatures: { _typename: 'ROOT::TIOFeatures', fIOBits: 0 },
      fOffset: 0,
      fMaxBaskets: 10,
      fSplitLevel: 0,
      fEntries: 0,
      fFirstEntry: 0,
      fTotBytes: 0,
      fZipBytes: 0,
      fBranches: tobjArray([]),
      fLeaves: tobjArray([leaf]),
      fBaskets: tobjArray([]),
      fBasketBytes: null,
      fBasketEntry: null,
      fBasketSeek: null,
      fFileName: '',
    };
  }

  private leaf(className: string, name: string, lenType: number, unsigned: boolean, extra: Record<string, unknown>): RootObject {
    return { _typename: className, fName: name, fTitle: name, fUniqueID: 0, fBits: 0x03000000, fLen: 1, fLenType: lenType, fOffset: 0, fIsRange: false, fIsUnsigned: unsigned, fLeafCount: null, ...extra };
  }

  private scalarRecord(name: string, prim: Prim): RootObject {
    const l = LEAF[prim];
    if (!l || l.leaf === 'TLeafD' || l.leaf === 'TLeafB' || l.leaf === 'TLeafS') throw new UsageError(`scalar branches of ${prim} are not supported by the template-free writer`);
    const leaf = this.leaf(l.leaf, name, l.lenType, l.unsigned, { fMinimum: 0, fMaximum: 0 });
    return this.branchBase(name, `${name}/${l.code}`, 0, leaf, 'TBranch');
  }

  private vectorRecord(name: string, element: string): RootObject {
    const className = `vector<${element}>`;
    const info = CORE_STREAMER_INFOS.find((i) => i.name === className);
    if (!info) throw new UsageError(`no StreamerInfo for ${className} in the template-free writer`);
    const leaf = this.leaf('TLeafElement', name, 0, false, { fID: -1, fType: -1 });
    return {
      ...this.branchBase(name, name, 400, leaf, 'TBranchElement'),
      fClassName: className,
      fParentName: '',
      fClonesName: '',
      fCheckSum: info.checksum,
      fClassVersion: info.classVersion,
      fID: -1,
      fType: 0,
      fStreamerType: -1,
      fMaximum: 0,
      fBranchCount: null,
      fBranchCount2: null,
    };
  }

  /** Append one entry: a value for every column (numbers, bigints, arrays of them, arrays of strings). */
  async fill(values: Record<string, number | bigint | ArrayLike<number> | readonly string[]>): Promise<void> {
    for (const c of this.columns) {
      const v = values[c.name];
      if (v === undefined) throw new UsageError(`no value for branch ${c.name} in entry ${this.entries}`);
      const out = this.scratch;
      out.pos = 0;
      if (c.kind.kind === 'scalar') {
        putPrim(out, c.kind.prim, v as number | bigint);
      } else {
        const items = v as ArrayLike<number> | readonly string[];
        const at = out.beginRecord(9);
        out.u32(items.length);
        if (c.kind.kind === 'strings') for (const s of items as readonly string[]) out.tstring(s);
        else for (let i = 0; i < items.length; i++) putPrim(out, c.kind.prim, (items as ArrayLike<number>)[i]!);
        out.endRecord(at);
      }
      if (c.writer.add(out.data())) await c.writer.flush(this.file);
    }
    this.entries++;
    if (this.entries % this.autoFlush === 0) for (const c of this.columns) await c.writer.flush(this.file);
  }

  /** Flush the last baskets, write the TTree record, the StreamerInfo, and close the file. */
  async close(): Promise<void> {
    for (const c of this.columns) await c.writer.flush(this.file);
    const n = this.entries;
    let totBytes = 0;
    let zipBytes = 0;
    for (const c of this.columns) {
      const w = c.writer;
      Object.assign(c.record, branchRecordFields(w, n));
      totBytes += w.totBytes;
      zipBytes += w.zipBytes;
    }
    const leaves = this.columns.map((c) => ((c.record.fLeaves as RootObject).arr as RootObject[])[0]!);
    const tree: RootObject = {
      _typename: 'TTree',
      fName: this.name,
      fTitle: this.title,
      fUniqueID: 0,
      fBits: 0x03000000,
      fLineColor: 602,
      fLineStyle: 1,
      fLineWidth: 1,
      fFillColor: 0,
      fFillStyle: 1001,
      fMarkerColor: 1,
      fMarkerStyle: 1,
      fMarkerSize: 1,
      fEntries: n,
      fTotBytes: totBytes,
      fZipBytes: zipBytes,
      fSavedBytes: zipBytes,
      fFlushedBytes: zipBytes,
      fWeight: 1,
      fTimerInterval: 0,
      fScanField: 25,
      fUpdate: 0,
      fDefaultEntryOffsetLen: 1000,
      fNClusterRange: 0,
      fMaxEntries: 1000000000000,
      fMaxEntryLoop: 1000000000000,
      fMaxVirtualSize: 0,
      fAutoSave: -300000000,
      fAutoFlush: this.autoFlush,
      fEstimate: 1000000,
      fClusterRangeEnd: null,
      fClusterSize: null,
      fIOFeatures: { _typename: 'ROOT::TIOFeatures', fIOBits: 0 },
      fBranches: tobjArray(this.columns.map((c) => c.record)),
      fLeaves: tobjArray(leaves),
      fAliases: null,
      fIndexValues: [],
      fIndex: [],
      fTreeIndex: null,
      fFriends: null,
      fUserInfo: null,
      fBranchRef: null,
    };
    const streamers = coreStreamers();
    await this.file.writeKey('TTree', this.name, this.title, (keylen) => {
      const out = new Out(1 << 16);
      new ObjectWriter(streamers, keylen).writeClass(out, 'TTree', tree);
      return out.data();
    }, { listed: true });
    await this.file.close((keylen) => streamerInfoPayload(CORE_STREAMER_INFOS, streamers, keylen));
  }
}
