/**
 * Arrow IPC stream bytes of one record batch at a time, for parquet-wasm (which takes its input
 * as IPC streams, each starting with the schema), with the schema message encoded only once.
 * The bytes are apache-arrow's own stream encoding (schema message, record batch message and
 * body, end-of-stream marker) gathered into one buffer; only the schema's encoding is reused.
 * Why: a PHYSLITE schema has ~1,000 fields, each with its metadata, and re-encoding it for every
 * batch cost as much as encoding the batch itself (measured).
 */
import { RecordBatchStreamWriter, type RecordBatch, type Schema, type TypeMap } from 'apache-arrow';

type Chunk = ArrayBufferView | ArrayBuffer | Iterable<number> | string | null | undefined;

export class IpcBatchEncoder<T extends TypeMap = TypeMap> extends RecordBatchStreamWriter<T> {
  private chunks: Uint8Array[] = [];
  private length = 0;
  private schemaMessage: Uint8Array | null = null;
  private readonly streamSchema: Schema<T>;

  constructor(schema: Schema<T>) {
    super({ autoDestroy: false });
    this.streamSchema = schema;
  }

  /** One complete IPC stream holding `batch` (whose schema must be the encoder's). */
  encode(batch: RecordBatch<T>): Uint8Array {
    if (!this.schemaMessage) {
      super._writeSchema(this.streamSchema);
      this.schemaMessage = this.take();
    }
    this.chunks.push(this.schemaMessage);
    this.length += this.schemaMessage.byteLength;
    this._writeRecordBatch(batch);
    this._write(Int32Array.of(-1, 0)); // end of stream
    return this.take();
  }

  /** Collects the writer's output here instead of its asynchronous queue. */
  protected override _write(chunk: Chunk): this {
    if (!ArrayBuffer.isView(chunk)) throw new Error('IPC encoder: unexpected chunk');
    if (chunk.byteLength === 0) return this;
    this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.length += chunk.byteLength;
    return this;
  }

  private take(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.chunks = [];
    this.length = 0;
    return out;
  }
}
