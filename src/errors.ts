/**
 * The project's error hierarchy. Every error carries where it happened (file, object, branch,
 * basket, byte offset) and which exit code it maps to, so the CLI can print one line and batch
 * engines can act on the code:
 *   UsageError 1 (bad flag, unknown tree or branch), InputError 2 (corrupt or unsupported input,
 *   retrying cannot help), TransientError 3 (I/O that may succeed on retry).
 */
import { redactUrl } from './root/source/url.ts';

export interface ErrorContext {
  file?: string;
  object?: string;
  branch?: string;
  basket?: number;
  entry?: number;
  offset?: number;
}

export const EXIT = { ok: 0, usage: 1, permanent: 2, transient: 3, sigint: 130, sigterm: 143 } as const;

export class PhysliteError extends Error {
  readonly context: ErrorContext;
  readonly exitCode: number = EXIT.permanent;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PhysliteError';
    this.context = { ...context };
    // A signed URL's query string (its signature) must never reach a log line or a report.
    if (this.context.file !== undefined) this.context.file = redactUrl(this.context.file);
  }
  /** One line: the message followed by the known place, e.g. `... (file x.root, branch B, basket 3, offset 1234)`. */
  describe(): string {
    const c = this.context;
    const where: string[] = [];
    if (c.file !== undefined) where.push(`file ${c.file}`);
    if (c.object !== undefined) where.push(`object ${c.object}`);
    if (c.branch !== undefined) where.push(`branch ${c.branch}`);
    if (c.basket !== undefined) where.push(`basket ${c.basket}`);
    if (c.entry !== undefined) where.push(`entry ${c.entry}`);
    if (c.offset !== undefined) where.push(`offset ${c.offset}`);
    return where.length ? `${this.message} (${where.join(', ')})` : this.message;
  }
  /** Return a copy of this error with more context filled in (inner fields win). */
  withContext(context: ErrorContext): this {
    for (const [k, v] of Object.entries(context)) {
      const key = k as keyof ErrorContext;
      if (this.context[key] === undefined && v !== undefined) (this.context as Record<string, unknown>)[key] = key === 'file' ? redactUrl(String(v)) : v;
    }
    return this;
  }
}

/** A wrong flag, an unknown tree or branch: the command line must change. */
export class UsageError extends PhysliteError {
  override readonly exitCode: number = EXIT.usage;
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context);
    this.name = 'UsageError';
  }
}

/** Corrupt or unsupported input: retrying cannot help. */
export class InputError extends PhysliteError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'InputError';
  }
}

/** Bytes that do not follow the ROOT format (truncated file, flipped bytes, bad sizes). */
export class DeserializationError extends InputError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'DeserializationError';
  }
}

/** A compressed block that does not decompress (bad header, checksum, size). */
export class DecompressionError extends InputError {
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'DecompressionError';
  }
}

/** A valid input that uses something the reader does not decode (yet). */
export class UnsupportedError extends InputError {
  constructor(message: string, context: ErrorContext = {}) {
    super(message, context);
    this.name = 'UnsupportedError';
  }
}

/** I/O that may succeed when tried again (EIO, timeouts, resets, 5xx). */
export class TransientError extends PhysliteError {
  override readonly exitCode: number = EXIT.transient;
  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'TransientError';
  }
}

/** The exit code for any thrown value: typed errors carry theirs, anything else is a bug (2). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof PhysliteError) return err.exitCode;
  return EXIT.permanent;
}
