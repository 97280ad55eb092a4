import { RootFile } from '../src/root/file.ts';
import { decompressBasket, splitBasket, type Basket } from '../src/root/tree/basket.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { Arena } from '../src/root/interpret/builders.ts';
const file = await RootFile.open('/work/shared/fixtures/root/PHYSLITE_example.root');
const reader = await TreeReader.open(file, 'CollectionTree');
const work: any[] = []; let bytes = 0;
for (const b of reader.tree.all) {
  if (b.typeName !== 'vector<float>') continue;
  const r = reader.resolve(b); if (!r.readable || r.interpretation.kind !== 'basket') continue;
  const baskets: Basket[] = []; let bb = 0;
  for (const loc of b.baskets) { const raw = await file.source.read(loc.seek, loc.bytes); const { header, payload } = await decompressBasket(raw, loc, {}); baskets.push(splitBasket(payload, header, loc, {})); bb += header.objlen; }
  work.push({ baskets, interp: r.interpretation, bytes: bb }); bytes += bb;
}
await file.close();
const times: number[] = [];
for (let k = 0; k < 2000; k++) {
  const t0 = performance.now();
  const arena = new Arena(bytes * 1.3);
  for (const { baskets, interp, bytes: hint } of work) { const builder = interp.decoder.newBuilder(hint, arena.alloc); for (const basket of baskets) interp.decoder.decode({ basket, lo: 0, hi: basket.header.nevbuf, context: {} }, builder); builder.finish(); }
  times.push(performance.now() - t0);
}
const s = times.slice(200).sort((a, b) => a - b);
const q = (p: number) => s[Math.floor(p * (s.length - 1))]!.toFixed(3);
console.log('p10', q(0.1), 'p50', q(0.5), 'p90', q(0.9), 'p99', q(0.99), 'mean', (s.reduce((a, b) => a + b) / s.length).toFixed(3), 'MB/s at mean', (bytes / 1e6 / (s.reduce((a, b) => a + b) / s.length / 1000)).toFixed(0));
