import { RootFile } from '../src/root/file.ts';
import { inspectRootFile } from '../src/root/inspect.ts';
import { readdirSync } from 'node:fs';
const dir = '/work/shared/fixtures/root/';
const reasons = new Map<string, Set<string>>();
for (const fn of readdirSync(dir)) {
  const f = await RootFile.open(dir + fn);
  const rep = await inspectRootFile(f);
  for (const t of rep.trees) for (const b of t.branches) if (!b.readable) {
    const k = b.reason!.replace(/\d+ basket/, 'N basket');
    if (!reasons.has(k)) reasons.set(k, new Set());
    reasons.get(k)!.add(`${fn.slice(0, 12)}:${t.name}:${b.name}:${b.typeName}`);
  }
  await f.close();
}
for (const [k, v] of reasons) console.log(v.size, k, '\n   ', [...v].slice(0, 3).join('\n    '));
