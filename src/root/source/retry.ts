/**
 * Retries for remote I/O: exponential backoff with full jitter, honouring a server's Retry-After.
 * The caller classifies each failure: `transient` ones are tried again (at most `retries` more
 * times), anything else is thrown at once. When the attempts are used up the last failure is
 * handed to `exhausted`, which turns it into the error the caller reports (a TransientError).
 */

export interface RetryPolicy {
  /** Attempts after the first one. */
  retries: number;
  /** First backoff ceiling in ms; doubles every attempt up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is cut to it (a server asking for an hour would stall the run). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 5, baseDelayMs: 250, maxDelayMs: 15_000, maxRetryAfterMs: 60_000 };

export interface Classified {
  transient: boolean;
  /** The server's Retry-After, in ms, when it sent one. */
  retryAfterMs?: number;
}

export interface RetryHooks<E> {
  classify(err: unknown): Classified;
  exhausted(err: unknown, attempts: number): E;
  /** The error to throw for a failure that is not retried (default: as it is). */
  permanent?(err: unknown): Error;
  onRetry?(err: unknown, attempt: number, delayMs: number): void;
}

export async function withRetry<T, E extends Error>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks<E>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const c = hooks.classify(err);
      if (!c.transient) throw hooks.permanent ? hooks.permanent(err) : err;
      if (attempt >= policy.retries) throw hooks.exhausted(err, attempt + 1);
      const delay = backoffDelay(attempt, policy, c.retryAfterMs);
      hooks.onRetry?.(err, attempt + 1, delay);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** Full jitter (a random wait up to the doubled ceiling), but never shorter than the server asked. */
export function backoffDelay(attempt: number, p: RetryPolicy, retryAfterMs?: number): number {
  const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** attempt);
  const jitter = Math.random() * ceiling;
  return retryAfterMs === undefined ? jitter : Math.max(jitter, Math.min(retryAfterMs, p.maxRetryAfterMs));
}

/** Retry-After as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Socket-level failures that a new attempt may not meet. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE']);

export function isTransientNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code.toUpperCase());
}

/** HTTP statuses worth another attempt. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
