import { RootFile } from '../src/root/file.ts';
import { TreeReader } from '../src/root/tree/reader.ts';
import { toValues } from '../src/arrow/values.ts';
import { readdirSync } from 'node:fs';
const dir = '/work/shared/fixtures/root/';
for (const fn of readdirSync(dir)) {
  const f = await RootFile.open(dir + fn);
  for (const { key } of await f.allKeys()) {
    if (key.className !== 'TTree') continue;
    const r = await TreeReader.open(f, `${key.name};${key.cycle}`);
    const emb = r.tree.all.reduce((n, b) => n + b.embeddedBaskets, 0);
    const names = [...new Set(r.tree.all.filter((b) => r.resolve(b).readable).map((b) => b.name))];
    const bad = r.tree.all.filter((b) => !r.resolve(b).readable).map((b) => `${b.name}: ${(r.resolve(b) as any).reason}`).filter((x) => !/no values/.test(x));
    try { const out = await r.arrays(names); if (emb) console.log(fn, key.name, key.cycle, 'embedded', emb, 'read', out.columns.size, JSON.stringify(toValues(out.columns.get(names[0]!)!)).slice(0, 150)); } catch (e: any) { console.log(fn, key.name, key.cycle, 'ERR', e.describe?.() ?? e.stack); }
    if (bad.length) console.log('  unreadable', bad.slice(0, 3));
  }
  await f.close();
}
