import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
const [fn, ...trees] = process.argv.slice(2);
const f = await RootFile.open('/work/shared/fixtures/root/' + fn);
for (const t of trees) {
  const r = await TreeReader.open(f, t);
  for (const b of r.tree.all) { const res = r.resolve(b); if (!res.readable) continue; try { await r.arrays([b.name]); } catch (e: any) { console.log(t, b.name, b.typeName, '->', e.describe?.() ?? e.message); } }
}
