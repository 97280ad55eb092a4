/**
 * The `ARROW:schema` key-value entry: base64 of the Arrow IPC schema message (continuation marker,
 * length, flatbuffer), as arrow-rs writes it, so pyarrow and arrow-rs readers restore the exact
 * Arrow types (unsigned widths, List vs FixedSizeList, item names) and the field metadata.
 * apache-arrow encodes the message: it is the head of an IPC stream holding no batch.
 */
import { Table, tableToIPC, type Schema } from 'apache-arrow';

const EOS = 8; // the stream's end marker: 0xFFFFFFFF, then a zero length

export function arrowSchemaBase64(schema: Schema): string {
  const stream = tableToIPC(new Table(schema), 'stream');
  return Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength - EOS).toString('base64');
}
