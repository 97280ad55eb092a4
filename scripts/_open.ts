import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
const path = '/work/shared/fixtures/root/PHYSLITE_example.root';
const times: number[] = [];
for (let i = 0; i < 200; i++) {
  const t0 = performance.now();
  const f = await RootFile.open(path);
  await TreeReader.open(f, 'CollectionTree');
  times.push(performance.now() - t0);
  await f.close();
}
const s = times.slice(50).sort((a, b) => a - b);
console.log('open p10', s[15]!.toFixed(1), 'p50', s[75]!.toFixed(1), 'mean', (s.reduce((a, b) => a + b) / s.length).toFixed(1));
