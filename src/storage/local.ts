/**
 * The local directory store (the default output): an output is written under `<name>.tmp-<pid>`
 * in the same directory and renamed into place, which is atomic; temporaries are removed when the
 * process ends early, and those of runs killed outright (their process is gone) by `prepare`.
 */
import { readFile as readFileText, appendFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32cOfFile } from '../gcs/crc32c.ts';
import { registerTemporary, releaseTemporary } from '../cleanup.ts';
import { registerStore, type OutputStore, type PutOptions, type PutResult, type StoredInfo } from './store.ts';

export class LocalStore implements OutputStore {
  readonly location: string;

  constructor(dir: string) {
    this.location = dir;
  }

  where(name: string): string {
    return join(this.location, name);
  }

  async prepare(): Promise<void> {
    await mkdir(this.location, { recursive: true });
    await removeStaleTemporaries(this.location);
  }

  async stat(name: string, o: { checksum?: boolean } = {}): Promise<StoredInfo | null> {
    const path = this.where(name);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) return null;
    return { name, location: path, size: st.size, crc32c: o.checksum ? await crc32cOfFile(path) : undefined };
  }

  async put(name: string, produce: (tmp: string) => Promise<void>, _o: PutOptions = {}): Promise<PutResult> {
    const path = this.where(name);
    const tmp = `${path}.tmp-${process.pid}`;
    registerTemporary(tmp);
    try {
      await produce(tmp);
      const crc32c = await crc32cOfFile(tmp);
      const { size } = await stat(tmp);
      await rename(tmp, path);
      return { name, location: path, size, crc32c };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      releaseTemporary(tmp);
    }
  }

  async writeText(name: string, text: string): Promise<void> {
    const path = this.where(name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp-${process.pid}`, text);
    await rename(`${path}.tmp-${process.pid}`, path);
  }

  async append(name: string, text: string): Promise<void> {
    const path = this.where(name);
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, text);
  }

  async remove(name: string): Promise<void> {
    await rm(this.where(name), { force: true });
  }

  readText(name: string): Promise<string> {
    return readFileText(this.where(name), 'utf8');
  }

  async list(prefix: string): Promise<string[]> {
    const dir = prefix.endsWith('/') ? prefix : dirname(prefix);
    const names = await readdir(join(this.location, dir)).catch(() => [] as string[]);
    return names.map((n) => join(dir, n)).filter((n) => n.startsWith(prefix)).sort();
  }

  async listSized(prefix: string): Promise<{ name: string; size: number }[]> {
    const out: { name: string; size: number }[] = [];
    for (const name of await this.list(prefix)) {
      const st = await stat(this.where(name)).catch(() => null);
      if (st?.isFile()) out.push({ name, size: st.size });
    }
    return out;
  }
}

/**
 * Temporary outputs of runs that were killed outright (SIGKILL, a lost node): `*.tmp-<pid>` whose
 * process is gone. A live pid means another run is writing there: its files are left alone.
 */
async function removeStaleTemporaries(outDir: string): Promise<void> {
  for (const f of await readdir(outDir).catch(() => [] as string[])) {
    const m = /\.tmp-(\d+)$/.exec(f);
    if (!m) continue;
    if (!(await processAlive(Number(m[1])))) await rm(join(outDir, f), { force: true });
  }
}

/** Whether a process runs (a zombie, whose parent was killed and nobody reaped it, does not). */
async function processAlive(pid: number): Promise<boolean> {
  const st = await readFileText(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (st !== undefined) return !/^\d+ \(.*\) Z/.test(st);
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

registerStore('file', (location) => new LocalStore(location));
