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
