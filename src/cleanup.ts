/**
 * Temporary outputs in progress. Every writer registers its temporary file here until it is renamed
 * into place or removed; when the process ends early (SIGINT, SIGTERM, a crash) they are deleted
 * synchronously on exit, so an interrupted run leaves no partial file behind.
 */
import { rmSync } from 'node:fs';

const pending = new Set<string>();
let installed = false;

export function registerTemporary(path: string): void {
  pending.add(path);
  if (!installed) {
    installed = true;
    process.on('exit', () => {
      for (const p of pending) rmSync(p, { force: true });
    });
  }
}

export function releaseTemporary(path: string): void {
  pending.delete(path);
}

type Hook = () => Promise<void>;
const hooks = new Set<Hook>();

/** Work to finish before an interrupted process exits (stop workers, remove their temporaries). */
export function onShutdown(hook: Hook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** Run the shutdown hooks, waiting at most `timeoutMs` for them. */
export async function runShutdownHooks(timeoutMs = 10_000): Promise<void> {
  const all = Promise.allSettled([...hooks].map((h) => h()));
  await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}
