/**
 * The output file: bytes appended through a 1 MiB buffer with synchronous writes, so encoding
 * never waits on a promise per page and memory holds at most the buffer plus the one page being
 * written. Synchronous I/O is right here: a conversion worker has nothing else to do meanwhile.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

const BUFFER = 1 << 20;

/** Where a column chunk's pages go: appended bytes, and the offset the next one lands at. */
export interface PageSink {
  readonly offset: number;
  write(bytes: Uint8Array): void;
}

/**
 * Pages held in memory (copied: callers reuse their buffers) until they can go to the file after
 * the pages before them; offsets count from the sink's start.
 */
export class MemorySink implements PageSink {
  private parts: Uint8Array[] = [];
  offset = 0;

  write(bytes: Uint8Array): void {
    this.parts.push(bytes.slice());
    this.offset += bytes.length;
  }

  /** Appends everything to `to` and forgets it. */
  drainTo(to: PageSink): void {
    for (const p of this.parts) to.write(p);
    this.parts = [];
    this.offset = 0;
  }
}

export class FileSink implements PageSink {
  private readonly fd: number;
  private readonly buf = new Uint8Array(BUFFER);
  private used = 0;
  private closed = false;
  /** Bytes appended so far (the file offset of the next byte). */
  offset = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }

  write(bytes: Uint8Array): void {
    this.offset += bytes.length;
    if (this.used + bytes.length <= BUFFER) {
      this.buf.set(bytes, this.used);
      this.used += bytes.length;
      return;
    }
    this.flush();
    if (bytes.length >= BUFFER / 2) this.writeAll(bytes);
    else {
      this.buf.set(bytes, 0);
      this.used = bytes.length;
    }
  }

  private writeAll(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }

  flush(): void {
    if (this.used > 0) this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  /** Flushes, syncs to disk and closes. */
  finish(): void {
    this.flush();
    fsyncSync(this.fd);
    this.close();
  }

  /** Closes without flushing (after a failure: the caller discards the file). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
