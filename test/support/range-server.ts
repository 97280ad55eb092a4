/**
 * A loopback HTTP/HTTPS file server for byte-source tests: single Range requests as storage
 * elements answer them, and faults on demand (random 5xx with Retry-After, connection resets, slow
 * answers, stalls, truncated bodies, 403 for an expired signature, HEAD and multi-range refused,
 * Range ignored, a required bearer token or client certificate). Faults are drawn from a seeded
 * generator, so a test run is repeatable. It counts every request and every body byte it sends.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { rng } from '../../src/root/write/generate-like.ts';

export interface RangeFaults {
  /** Probability that a GET gets a 5xx (`errorStatus`, default 503). */
  errorRate?: number;
  errorStatus?: number;
  /** Retry-After sent with those answers. */
  retryAfter?: string;
  /** The first N GETs fail with `errorStatus` (deterministic). */
  failFirst?: number;
  /** Probability that the connection is reset before an answer. */
  resetRate?: number;
  /** Probability that a body is cut after half its bytes (the headers promised all). */
  truncateRate?: number;
  /** Every answer waits this long before its headers. */
  slowMs?: number;
  /** Probability that an answer never comes (the client must time out). */
  stallRate?: number;
  /** URLs need `?sig=<signature>` equal to this, else 403 (an expired or wrong signature). */
  signature?: string;
  /** Answer a ranged GET with 200 and the whole body. */
  ignoreRange?: boolean;
  /** Requests need `Authorization: Bearer <token>`. */
  requireToken?: string;
  /** Requests need a client certificate the server's CA signed (HTTPS only). */
  requireClientCert?: boolean;
  /**
   * At most this many faults (of the kinds above that a retry gets past) in all: kept below a
   * client's attempts, no read can fail for good however the random draws fall.
   */
  maxFaults?: number;
  /**
   * GETs of paths under `from` are redirected (307) to the same path under `to`, on `host` when
   * given (e.g. `localhost:<port>` when the client used 127.0.0.1: another host), like a dCache door.
   */
  redirect?: { from: string; to: string; host?: string; status?: number };
}

export interface RangeCounters {
  requests: number;
  gets: number;
  heads: number;
  multiRange: number;
  bytes: number;
  byStatus: Record<number, number>;
  /** [offset, length] of every ranged GET answered with 206. */
  ranges: [number, number][];
  /** Path and whether an Authorization header came with it, for every GET. */
  authorization: [string, boolean][];
}

export interface RangeServer {
  readonly origin: string;
  url(path: string, query?: string): string;
  readonly counters: RangeCounters;
  faults: RangeFaults;
  reset(): void;
  close(): Promise<void>;
}

/** The faults without those a retry gets past (what is left once the budget is spent). */
function noTransientFaults(f: RangeFaults): RangeFaults {
  const { failFirst: _a, errorRate: _b, resetRate: _c, truncateRate: _d, stallRate: _e, ...rest } = f;
  return rest;
}

export async function startRangeServer(o: {
  files: Record<string, Uint8Array>;
  faults?: RangeFaults;
  tls?: { cert: string; key: string; ca: string };
  seed?: number;
}): Promise<RangeServer> {
  const random = rng(o.seed ?? 1);
  const fresh = (): RangeCounters => ({ requests: 0, gets: 0, heads: 0, multiRange: 0, bytes: 0, byStatus: {}, ranges: [], authorization: [] });
  let counters = fresh();
  let faultsInjected = 0;
  const sockets = new Set<Socket>();
  const state = { faults: o.faults ?? {} };

  const answer = (res: ServerResponse, status: number, headers: Record<string, string | number> = {}, body?: Uint8Array): void => {
    counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
    res.writeHead(status, headers);
    if (body) counters.bytes += body.length;
    res.end(body);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests++;
    const f = faultsInjected < (state.faults.maxFaults ?? Infinity) ? state.faults : noTransientFaults(state.faults);
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'HEAD') {
      counters.heads++;
      return answer(res, 403); // URLs signed for GET refuse HEAD
    }
    if (req.method !== 'GET') return answer(res, 405);
    counters.gets++;
    counters.authorization.push([url.pathname, req.headers.authorization !== undefined]);
    if (f.redirect && url.pathname.startsWith(f.redirect.from)) {
      const target = `${f.redirect.to}${url.pathname.slice(f.redirect.from.length)}${url.search}`;
      const location = f.redirect.host ? `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://${f.redirect.host}${target}` : target;
      return answer(res, f.redirect.status ?? 307, { location });
    }
    if (f.requireClientCert && !(req.socket as TLSSocket).authorized) return answer(res, 403);
    if (f.requireToken && req.headers.authorization !== `Bearer ${f.requireToken}`) return answer(res, 401);
    if (f.signature !== undefined && url.searchParams.get('sig') !== f.signature) return answer(res, 403, { 'content-type': 'text/plain' }, Buffer.from('signature expired'));
    const data = o.files[url.pathname];
    if (!data) return answer(res, 404);
    if (f.failFirst && counters.gets <= f.failFirst) {
      faultsInjected++;
      return answer(res, f.errorStatus ?? 503, f.retryAfter ? { 'retry-after': f.retryAfter } : {});
    }
    if (f.slowMs) await new Promise((r) => setTimeout(r, f.slowMs));
    if (f.stallRate && random() < f.stallRate) {
      faultsInjected++;
      return; // never answers
    }
    if (f.resetRate && random() < f.resetRate) {
      faultsInjected++;
      counters.byStatus[0] = (counters.byStatus[0] ?? 0) + 1;
      req.socket.destroy();
      return;
    }
    if (f.errorRate && random() < f.errorRate) {
      faultsInjected++;
      return answer(res, f.errorStatus ?? 503, f.retryAfter ? { 'retry-after': f.retryAfter } : {});
    }
    const range = req.headers.range;
    let status = 200;
    let start = 0;
    let end = data.length - 1;
    const headers: Record<string, string | number> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (range && !f.ignoreRange) {
      if (range.includes(',')) {
        counters.multiRange++;
        return answer(res, 416); // multi-range refused
      }
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (!m) return answer(res, 416);
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
      if (start >= data.length) return answer(res, 416, { 'content-range': `bytes */${data.length}` });
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${data.length}`;
      counters.ranges.push([start, end - start + 1]);
    }
    const body = data.subarray(start, end + 1);
    headers['content-length'] = body.length;
    if (f.truncateRate && random() < f.truncateRate && body.length > 1) {
      faultsInjected++;
      counters.byStatus[status] = (counters.byStatus[status] ?? 0) + 1;
      res.writeHead(status, headers);
      const half = body.subarray(0, body.length >> 1);
      counters.bytes += half.length;
      res.write(half, () => req.socket.destroy());
      return;
    }
    answer(res, status, headers, body);
  };

  const server: Server = o.tls
    ? createHttps({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: false }, (q, s) => void handler(q, s))
    : createHttp((q, s) => void handler(q, s));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const origin = `${o.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    origin,
    url: (path, query) => `${origin}${path}${query ? `?${query}` : ''}`,
    get counters() {
      return counters;
    },
    get faults() {
      return state.faults;
    },
    set faults(v: RangeFaults) {
      state.faults = v;
    },
    reset() {
      counters = fresh();
      faultsInjected = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
