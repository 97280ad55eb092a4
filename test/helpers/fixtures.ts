/** Where the shared fixture files live (never copied into the repository). */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = resolve(PROJECT_ROOT, '..', 'shared', 'fixtures', 'root');

export function fixture(name: string): string {
  const p = join(FIXTURES, name);
  if (!existsSync(p)) throw new Error(`fixture ${p} is missing: tests read ../shared/fixtures/root/`);
  return p;
}

export function allFixtures(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.root'))
    .sort();
}
