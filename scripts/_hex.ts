import { RootFile } from '../src/root/file.ts';
import { loadTree } from '../src/root/tree/load.ts';
import { decompressBasket, splitBasket } from '../src/root/tree/basket.ts';
const [fn, tn, name, a, z] = process.argv.slice(2);
const f = await RootFile.open('/work/shared/fixtures/root/' + fn);
const t = await loadTree(f, tn!);
const b = t.byName.get(name!)!;
const loc = b.baskets[0]!;
const raw = await f.source.read(loc.seek, loc.bytes);
const { header, payload } = await decompressBasket(raw, loc, {});
const bk = splitBasket(payload, header, loc, {});
const d = bk.data.subarray(Number(a), Number(z));
let out = '';
for (let i = 0; i < d.length; i += 32) { const row = d.subarray(i, i + 32); out += (Number(a) + i).toString().padStart(6) + ' ' + Buffer.from(row).toString('hex').replace(/(.{8})/g, '$1 ') + ' ' + Buffer.from(row).toString('latin1').replace(/[^\x20-\x7e]/g, '.') + '\n'; }
console.log(out);
