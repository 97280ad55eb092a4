/**
 * Loading a TTree from a file: find its key (highest cycle unless one is named), stream the
 * TTree object, and reshape it into the Tree model.
 */
import { PhysliteError, UsageError } from '../../errors.ts';
import type { RootFile } from '../file.ts';
import type { RootObject } from '../object-reader.ts';
import { treeFromObject, type Tree } from './model.ts';

export async function loadTree(file: RootFile, name: string): Promise<Tree> {
  const key = await file.findKey(name, (cls) => cls === 'TTree' || cls === 'TNtuple' || cls === 'TNtupleD');
  const obj = (await file.readObject(key)) as RootObject;
  if (!obj || typeof obj !== 'object') throw new UsageError(`"${name}" is not a TTree`, { file: file.name });
  try {
    return treeFromObject(obj, key.name, key.cycle, await file.streamers());
  } catch (err) {
    throw err instanceof PhysliteError ? err.withContext({ file: file.name, object: `${key.name};${key.cycle}` }) : err;
  }
}
