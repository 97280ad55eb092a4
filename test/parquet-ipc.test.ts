// Issue 5 (conversion speed): the IPC encoder that reuses the schema message must give exactly
// apache-arrow's own stream bytes for every batch, and parquet-wasm must read them back.
import { describe, expect, it } from 'vitest';
import { Field, Float32, Int32, List, makeData, RecordBatch, Schema, Struct, Uint64, tableFromIPC, tableToIPC, Table } from 'apache-arrow';
import * as pq from 'parquet-wasm/node';
import { IpcBatchEncoder } from '../src/parquet/ipc.ts';

function batch(schema: Schema, fields: Field[], rows: number, seed: number): RecordBatch {
  const offsets = Int32Array.from({ length: rows + 1 }, (_, i) => i * 2);
  const values = Float32Array.from({ length: rows * 2 }, (_, i) => Math.fround((i + seed) * 1.5));
  const ids = BigUint64Array.from({ length: rows }, (_, i) => 2n ** 60n + BigInt(i + seed));
  const counts = Int32Array.from({ length: rows }, (_, i) => i * seed);
  const children = [
    makeData({ type: fields[0]!.type as List, length: rows, nullCount: 0, valueOffsets: offsets, child: makeData({ type: new Float32(), length: values.length, nullCount: 0, data: values }) }),
    makeData({ type: new Uint64(), length: rows, nullCount: 0, data: ids }),
    makeData({ type: new Int32(), length: rows, nullCount: 0, data: counts }),
  ];
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

describe('IpcBatchEncoder', () => {
  const fields = [
    new Field('pt', new List(new Field('item', new Float32(), false)), false, new Map([['root.branch', 'A.pt']])),
    new Field('id', new Uint64(), false, new Map([['root.branch', 'EventInfo.id']])),
    new Field('n', new Int32(), false),
  ];
  const schema = new Schema(fields);

  it("gives apache-arrow's stream bytes for each batch, the schema encoded once", () => {
    const encoder = new IpcBatchEncoder(schema);
    for (const [rows, seed] of [[5, 1], [0, 2], [17, 3]] as const) {
      const b = batch(schema, fields, rows, seed);
      expect(encoder.encode(b)).toEqual(tableToIPC(new Table([b]), 'stream'));
    }
    const sliced = batch(schema, fields, 10, 4).slice(3, 8);
    expect(encoder.encode(sliced)).toEqual(tableToIPC(new Table([sliced]), 'stream'));
  });

  it('is read back by parquet-wasm with the same values', () => {
    const encoder = new IpcBatchEncoder(schema);
    encoder.encode(batch(schema, fields, 3, 6)); // the schema message is reused from here on
    const sent = batch(schema, fields, 9, 5);
    const back = tableFromIPC(pq.Table.fromIPCStream(encoder.encode(sent)).intoIPCStream());
    expect(back.numRows).toBe(9);
    expect(back.schema.fields.map((f) => f.name)).toEqual(['pt', 'id', 'n']);
    expect(back.schema.fields[1]!.metadata.get('root.branch')).toBe('EventInfo.id');
    expect(back.getChild('pt')!.data[0]!.children[0]!.values).toEqual(sent.data.children[0]!.children[0]!.values);
    expect(back.getChild('id')!.data[0]!.values).toEqual(sent.data.children[1]!.values);
  });
});
