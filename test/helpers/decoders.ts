/** The basket decoder of an STL vector type, as the interpretation registry builds it. */
import { StlObjectDecoder, contentFor } from '../../src/root/interpret/decoders.ts';
import { parseTypeName } from '../../src/root/interpret/typename.ts';

export function stl(type: string): StlObjectDecoder {
  const node = parseTypeName(type);
  if (node.kind !== 'vector') throw new Error('not a vector');
  const content = contentFor(node);
  if (typeof content === 'string') throw new Error(content);
  return new StlObjectDecoder(node, content, type);
}
