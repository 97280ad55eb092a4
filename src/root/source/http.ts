/**
 * HTTP(S) and WebDAV byte source: one `Range: bytes=a-b` request per read (never multi-range: signed
 * URLs and most grid storage refuse them), over a keep-alive connection pool, at most `concurrency`
 * requests in flight. The size comes from a `bytes=0-0` request (never HEAD: URLs signed for GET
 * refuse it) unless the caller knows it (a metalink). Every answer's Content-Range is checked
 * against the request and the size; a server that ignores Range (200 with the whole body) is
 * handled by keeping only the requested slice, and reported by `acceptsRanges` so callers can
 * download once instead. 5xx, 429, 408, timeouts, resets and truncated bodies are retried with
 * backoff and jitter (Retry-After honoured) and end as a TransientError; 401/403/404 and other
 * 4xx are permanent InputErrors. Names never carry the URL's query string.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import pLimit, { type LimitFunction } from 'p-limit';
import { InputError, PhysliteError, TransientError } from '../../errors.ts';
import { gridCredentials, type GridCredentials } from './credentials.ts';
import { DEFAULT_RETRY, isTransientNetworkError, isTransientStatus, parseRetryAfter, withRetry, type RetryPolicy } from './retry.ts';
import { checkRange, newCounters, type ByteSource, type SourceCounters } from './source.ts';
import { httpUrl, redactUrl } from './url.ts';

export interface HttpSourceOptions {
  /** Requests in flight for this source. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** A request whose socket stays silent this long fails (and is retried). */
  timeoutMs?: number;
  /** The size when already known (a metalink): no size request. */
  size?: number;
  /** Credentials; by default the process's grid credentials (token, proxy, CAs). */
  credentials?: GridCredentials;
  /** Headers computed before each request (a cloud client's fresh access token). */
  authHeaders?: () => Promise<Record<string, string>>;
  /** The name in messages, when not the URL itself (gs://bucket/object for its media URL). */
  name?: string;
}

/** Counters beyond requests and bytes: what the retries and whole-body answers cost. */
export interface HttpCounters extends SourceCounters {
  retries: number;
  /** Answers of 200 with the whole body to a ranged request. */
  wholeBodyAnswers: number;
}

/** One failed attempt, classified for the retry loop. */
class AttemptError extends Error {
  readonly transient: boolean;
  readonly retryAfterMs?: number;
  constructor(message: string, transient: boolean, retryAfterMs?: number) {
    super(message);
    this.transient = transient;
    this.retryAfterMs = retryAfterMs;
  }
}

const agents = new Map<string, http.Agent>();

/** Connections are pooled per scheme and TLS material (by content), so the files of one host share them. */
function agentFor(url: URL, creds: GridCredentials): http.Agent {
  const key = createHash('sha1')
    .update(`${url.protocol}\0${creds.cert ?? ''}\0${creds.key ?? ''}\0`)
    .update((creds.ca ?? []).join('\n'))
    .digest('hex');
  let agent = agents.get(key);
  if (!agent) {
    agent =
      url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 64, cert: creds.cert, key: creds.key, ca: creds.ca })
        : new http.Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(key, agent);
  }
  return agent;
}

export class HttpSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly counters: HttpCounters = { ...newCounters(), retries: 0, wholeBodyAnswers: 0 };
  /** False when the server answered a ranged request with the whole body. */
  acceptsRanges: boolean;
  private readonly url: URL;
  private readonly shared: Shared;

  private constructor(url: URL, name: string, size: number, acceptsRanges: boolean, shared: Shared) {
    this.url = url;
    this.name = name;
    this.size = size;
    this.acceptsRanges = acceptsRanges;
    this.shared = shared;
  }

  static async open(url: string, o: HttpSourceOptions = {}): Promise<HttpSource> {
    const u = httpUrl(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InputError(`not an HTTP(S) or WebDAV URL`, { file: redactUrl(url) });
    const name = o.name ?? redactUrl(url);
    const creds = o.credentials ?? gridCredentials();
    const shared: Shared = {
      agent: agentFor(u, creds),
      // A bearer token only travels encrypted.
      token: u.protocol === 'https:' ? creds.token : undefined,
      limit: pLimit(Math.max(1, o.concurrency ?? 4)),
      retry: { ...DEFAULT_RETRY, ...o.retry },
      timeoutMs: o.timeoutMs ?? 30_000,
      authHeaders: o.authHeaders,
    };
    if (o.size !== undefined) return new HttpSource(u, name, o.size, true, shared);
    const probe = new HttpSource(u, name, Number.MAX_SAFE_INTEGER, true, shared);
    const { size, acceptsRanges } = await probe.limited(() => probe.attempt(0, 1, true));
    const source = new HttpSource(u, name, size, acceptsRanges, shared);
    source.counters.requests = probe.counters.requests;
    source.counters.bytes = probe.counters.bytes;
    source.counters.retries = probe.counters.retries;
    source.counters.wholeBodyAnswers = probe.counters.wholeBodyAnswers;
    return source;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    const { bytes } = await this.limited(() => this.attempt(offset, length, false), offset);
    return bytes;
  }

  /**
   * The whole body in order, chunk by chunk, for a download: one plain GET (the way that works
   * where ranges do not). A failure starts over through `restart`, which the sink must honour.
   */
  async download(sink: { restart(): Promise<void>; write(chunk: Uint8Array): Promise<void> }): Promise<void> {
    await withRetry(
      async (attempt) => {
        if (attempt > 0) await sink.restart();
        await this.request(undefined, async (res) => {
          if (res.statusCode !== 200) throw statusError(res, this.name);
          let got = 0;
          for await (const chunk of res as AsyncIterable<Buffer>) {
            got += chunk.length;
            this.counters.bytes += chunk.length;
            if (got > this.size) throw new InputError(`remote file grew while reading: more than ${this.size} bytes`, { file: this.name });
            await sink.write(chunk);
          }
          if (got !== this.size) throw new AttemptError(`body ended after ${got} of ${this.size} bytes`, true);
        });
      },
      this.shared.retry,
      this.hooks(0),
    );
  }

  async close(): Promise<void> {}

  private limited<T>(fn: () => Promise<T>, offset = 0): Promise<T> {
    return this.shared.limit(() => withRetry(fn, this.shared.retry, this.hooks(offset)));
  }

  private hooks(offset: number) {
    return {
      classify: (err: unknown) =>
        err instanceof AttemptError ? { transient: err.transient, retryAfterMs: err.retryAfterMs } : { transient: isTransientNetworkError(err) },
      // Failures that are not the exchange's (a cloud client that cannot make its token) are permanent.
      permanent: (err: unknown) => (err instanceof PhysliteError ? err : new InputError(`${(err as Error)?.message ?? err}`, { file: this.name }, { cause: err })),
      exhausted: (err: unknown, attempts: number) =>
        new TransientError(`${(err as Error).message ?? err}, after ${attempts} attempts`, { file: this.name, offset: offset || undefined }, { cause: err }),
      onRetry: () => {
        this.counters.retries++;
      },
    };
  }

  /**
   * One GET with `headers`; `handle` consumes the answer. Errors of the exchange reject. Redirects
   * (301, 302, 303, 307, 308: dCache and EOS doors send reads on to their storage nodes) are
   * followed up to MAX_REDIRECTS hops with the same Range; the bearer token goes only to the host it
   * was meant for, and HTTPS never downgrades to HTTP.
   */
  private async request(range: string | undefined, handle: (res: http.IncomingMessage) => Promise<void>, url: URL = this.url, hops = 0): Promise<void> {
    const headers: Record<string, string> = this.shared.authHeaders ? await this.shared.authHeaders() : {};
    if (range) headers.Range = range;
    if (this.shared.token && url.host === this.url.host) headers.Authorization = `Bearer ${this.shared.token}`;
    const mod = url.protocol === 'https:' ? https : http;
    this.counters.requests++;
    const next = await new Promise<URL | undefined>((resolve, reject) => {
      const req = mod.request(url, { method: 'GET', agent: this.shared.agent, headers, timeout: this.shared.timeoutMs }, (res) => {
        res.on('error', () => {}); // reported through the body iteration
        const status = res.statusCode ?? 0;
        if (REDIRECTS.has(status)) {
          res.resume();
          try {
            resolve(redirectTarget(url, res.headers.location, hops, this.name));
          } catch (err) {
            reject(err);
          }
          return;
        }
        handle(res).then(
          () => resolve(undefined),
          (err) => {
            res.destroy();
            reject(err);
          },
        );
      });
      req.on('timeout', () => req.destroy(new AttemptError(`no answer within ${this.shared.timeoutMs} ms`, true)));
      req.on('error', (err) => reject(err instanceof AttemptError ? err : exchangeError(err, this.name)));
      req.end();
    });
    if (next) return this.request(range, handle, next, hops + 1);
  }

  /** One ranged GET. `probe` learns the size from the Content-Range of `bytes=0-0`. */
  private async attempt(offset: number, length: number, probe: boolean): Promise<{ bytes: Uint8Array; size: number; acceptsRanges: boolean }> {
    const last = offset + length - 1;
    let result!: { bytes: Uint8Array; size: number; acceptsRanges: boolean };
    await this.request(`bytes=${offset}-${last}`, async (res) => {
      const status = res.statusCode ?? 0;
      if (status === 416 && probe) {
        // bytes=0-0 of an empty file: "bytes */0".
        const total = /^bytes \*\/(\d+)$/.exec(res.headers['content-range'] ?? '');
        res.resume();
        if (total) {
          result = { bytes: new Uint8Array(0), size: Number(total[1]), acceptsRanges: true };
          return;
        }
      }
      if (status === 206) {
        const cr = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
        if (!cr || Number(cr[1]) !== offset || Number(cr[2]) !== last) {
          throw new AttemptError(`answer holds ${res.headers['content-range'] ?? 'no Content-Range'} for bytes ${offset}-${last}`, true);
        }
        const total = cr[3] === '*' ? undefined : Number(cr[3]);
        if (!probe && total !== undefined && total !== this.size) {
          throw new InputError(`remote file changed size while reading: ${total} bytes, was ${this.size}`, { file: this.name, offset });
        }
        if (probe && total === undefined) throw new InputError('server does not tell the file size (Content-Range bytes 0-0/*)', { file: this.name });
        const bytes = await readBody(res, length, 0, false, this.counters);
        result = { bytes, size: total ?? this.size, acceptsRanges: true };
        return;
      }
      if (status === 200) {
        // Range ignored: the whole body. Keep the slice, drop the rest.
        this.counters.wholeBodyAnswers++;
        this.acceptsRanges = false;
        const total = Number(res.headers['content-length']);
        if (probe) {
          res.destroy();
          if (!Number.isSafeInteger(total)) throw new InputError('server ignores Range and sends no Content-Length: the size cannot be known', { file: this.name });
          result = { bytes: new Uint8Array(0), size: total, acceptsRanges: false };
          return;
        }
        if (Number.isSafeInteger(total) && total !== this.size) {
          throw new InputError(`remote file changed size while reading: ${total} bytes, was ${this.size}`, { file: this.name, offset });
        }
        const bytes = await readBody(res, length, offset, true, this.counters);
        result = { bytes, size: this.size, acceptsRanges: false };
        return;
      }
      throw statusError(res, this.name);
    });
    return result;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** Where a redirect leads: resolved against the current URL, same protocol family, bounded hops. */
function redirectTarget(from: URL, location: string | undefined, hops: number, name: string): URL {
  if (!location) throw new InputError('redirect without a Location', { file: name });
  if (hops >= MAX_REDIRECTS) throw new InputError(`more than ${MAX_REDIRECTS} redirects`, { file: name });
  const to = new URL(location, from);
  if (to.protocol !== 'http:' && to.protocol !== 'https:') throw new InputError(`redirect to ${to.protocol} cannot be followed`, { file: name });
  if (from.protocol === 'https:' && to.protocol === 'http:') throw new InputError('redirect from HTTPS to plain HTTP refused', { file: name });
  if (from.protocol !== to.protocol) throw new InputError(`redirect from ${from.protocol} to ${to.protocol} cannot be followed`, { file: name });
  return to;
}

interface Shared {
  agent: http.Agent;
  token?: string;
  limit: LimitFunction;
  retry: RetryPolicy;
  timeoutMs: number;
  authHeaders?: () => Promise<Record<string, string>>;
}

/** The error for a non-success status: transient (5xx, 429, 408) or permanent, never with the query string. */
function statusError(res: http.IncomingMessage, name: string): Error {
  const status = res.statusCode ?? 0;
  res.resume();
  if (isTransientStatus(status)) return new AttemptError(`HTTP ${status}`, true, parseRetryAfter(res.headers['retry-after']));
  if (status === 401 || status === 403) {
    return new InputError(`access denied (HTTP ${status}): the URL may have expired, or the token or certificate is missing or not accepted`, { file: name });
  }
  if (status === 404) return new InputError('not found (HTTP 404)', { file: name });
  return new InputError(`HTTP ${status} ${res.statusMessage ?? ''}`.trim(), { file: name });
}

/**
 * A failed exchange: a server certificate that is not trusted is permanent (retrying cannot help,
 * and there is no insecure fallback); any other connection failure may pass.
 */
function exchangeError(err: Error, name: string): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS_CERT_ALTNAME/.test(code)) {
    return new InputError(`TLS: the server's certificate is not trusted (${code}); grid CAs are read from X509_CERT_DIR`, { file: name });
  }
  return new AttemptError(`${code || err.message}`, true);
}

/** `length` bytes of the body starting `skip` bytes into it; a body that ends early is a transient failure. */
async function readBody(res: http.IncomingMessage, length: number, skip: number, wholeBody: boolean, counters: SourceCounters): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let pos = 0; // bytes of the body seen
  let filled = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      counters.bytes += chunk.length;
      const from = Math.max(0, skip - pos);
      const to = Math.min(chunk.length, skip + length - pos);
      if (to > from) {
        out.set(chunk.subarray(from, to), filled);
        filled += to - from;
      }
      pos += chunk.length;
      if (filled === length && wholeBody) {
        res.destroy(); // the rest of a whole-body answer is not needed
        break;
      }
      if (!wholeBody && pos > skip + length) throw new AttemptError(`answer longer than the ${length} bytes asked for`, true);
    }
  } catch (err) {
    if (err instanceof AttemptError) throw err;
    throw new AttemptError(`connection lost after ${filled} of ${length} bytes (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, true);
  }
  if (filled !== length) throw new AttemptError(`answer cut short: ${filled} of ${length} bytes`, true);
  return out;
}
