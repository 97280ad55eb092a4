/**
 * The `ROOT::RNTuple` anchor: the keyed object that points at an RNTuple's header and footer
 * envelopes. Big-endian like every keyed ROOT object, after the usual byte-count/version
 * preamble; its fields are followed by their XXH3 checksum, verified here.
 */
import { DeserializationError, type ErrorContext } from '../../errors.ts';
import { Cursor } from '../cursor.ts';
import { xxh3 } from './xxh3.ts';

export const ANCHOR_CLASS = 'ROOT::RNTuple';
const FIELDS_BYTES = 4 * 2 + 7 * 8;

export interface Anchor {
  version: [number, number, number, number];
  seekHeader: number;
  nbytesHeader: number;
  lenHeader: number;
  seekFooter: number;
  nbytesFooter: number;
  lenFooter: number;
  maxKeySize: number;
}

export function parseAnchor(payload: Uint8Array, context: ErrorContext): Anchor {
  const c = new Cursor(payload, 0, 0, context);
  const bc = c.u32();
  if (!(bc & 0x40000000)) c.fail('RNTuple anchor has no byte count', 0);
  c.u16(); // class version
  const start = c.pos;
  const version: Anchor['version'] = [c.u16(), c.u16(), c.u16(), c.u16()];
  const anchor: Anchor = {
    version,
    seekHeader: c.i64n(),
    nbytesHeader: c.i64n(),
    lenHeader: c.i64n(),
    seekFooter: c.i64n(),
    nbytesFooter: c.i64n(),
    lenFooter: c.i64n(),
    maxKeySize: c.i64n(),
  };
  const stored = c.u64();
  const computed = xxh3(payload.subarray(start, start + FIELDS_BYTES));
  if (stored !== computed) {
    throw new DeserializationError(`RNTuple anchor checksum mismatch: stored XXH3 0x${stored.toString(16)}, computed 0x${computed.toString(16)}`, {
      ...context,
      offset: start,
    });
  }
  if (version[0] !== 1) {
    throw new DeserializationError(`RNTuple format epoch ${version[0]} is not supported (this reader reads epoch 1, format 1.x)`, context);
  }
  return anchor;
}
