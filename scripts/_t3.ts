import { RootFile } from '../src/root/file.ts';
import { loadTree } from '../src/root/tree/load.ts';
import { decompressBasket, splitBasket } from '../src/root/tree/basket.ts';
const [fn, tn, ...names] = process.argv.slice(2);
const f = await RootFile.open(fn!);
const t = await loadTree(f, tn!);
for (const name of names) {
  const b = t.byName.get(name)!;
  const { parent, children, ...rest } = b as any;
  console.log(JSON.stringify({ ...rest, parent: parent?.name, children: children.map((c: any) => c.name) }, null, 0));
  for (const loc of b.baskets.slice(0, 1)) {
    const raw = await f.source.read(loc.seek, loc.bytes);
    const { header, payload } = await decompressBasket(raw, loc, {});
    const bk = splitBasket(payload, header, loc, {});
    const hex = (a: number, z: number) => Buffer.from(bk.data.subarray(a, z)).toString('hex').replace(/(.{8})/g, '$1 ');
    console.log('header', header, 'offsets', bk.offsets?.slice(0, 6));
    for (let i = 0; i < 3; i++) { const a = bk.offsets ? bk.offsets[i]! : i * header.nevbufSize; const z = bk.offsets ? bk.offsets[i + 1]! : a + header.nevbufSize; console.log(' entry', i, hex(a, Math.min(z, a + 120))); }
  }
}
