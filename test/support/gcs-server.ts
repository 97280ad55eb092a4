/**
 * A loopback Google Cloud Storage JSON-API server for tests, implementing the requests the real
 * @google-cloud/storage client makes (with `apiEndpoint`, under /storage/v1 and /upload/storage/v1;
 * with STORAGE_EMULATOR_HOST, without the /storage/v1 prefix):
 *   GET    /b/B/o?prefix&delimiter&pageToken&maxResults    list (items, prefixes, nextPageToken)
 *   GET    /b/B/o/NAME[?generation]                         object metadata
 *   GET    /b/B/o/NAME?alt=media  (Range)                   content, 206 for a range, x-goog-hash
 *   DELETE /b/B/o/NAME[?ifGenerationMatch]                  delete
 *   POST   /upload/storage/v1/b/B/o?uploadType=multipart    metadata + media in one multipart/related body
 *   POST   /upload/storage/v1/b/B/o?uploadType=resumable    starts a session (Location: session URL)
 *   PUT    <session URL>  Content-Range bytes a-b/total|*   a chunk: 308 with Range until the last one
 *   PUT    <session URL>  Content-Range bytes * /total|*    status query
 * Preconditions ifGenerationMatch / ifGenerationNotMatch / ifMetagenerationMatch answer 412 as GCS
 * does (0 means "no live object"), checked when a session starts and again when it completes.
 * crc32c (Castagnoli, base64 of the big-endian value) and md5Hash are computed here independently
 * of the client. Faults: `failNext` makes the next matching request fail with a status, a reset, or
 * (for a final chunk) a reset after the object was committed (the answer is lost).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type GcsRequestKind = 'list' | 'metadata' | 'media' | 'delete' | 'multipart' | 'start-resumable' | 'chunk' | 'final-chunk' | 'status-query' | 'other';

export interface GcsFault {
  kind: GcsRequestKind;
  /** Only requests for this object name. */
  object?: string;
  /** Skip this many matching requests first (e.g. 1 to hit the second chunk). */
  skip?: number;
  /** Answer with this status (503, 429, 500...)... */
  status?: number;
  /** ...or reset the connection before answering... */
  reset?: boolean;
  /** ...or, for a final chunk, commit the object and then reset (the answer is lost). */
  resetAfterCommit?: boolean;
  /** ...or, for metadata, answer with a wrong crc32c (storage corruption seen by verification). */
  corruptCrc?: boolean;
  /** ...or answer normally after this long (a slow upload, to interrupt it)... */
  delayMs?: number;
  /** ...or, for media, send half the body and close the connection. */
  truncate?: boolean;
  /** How many times (default 1). */
  times?: number;
}

export interface StoredGcsObject {
  name: string;
  data: Buffer;
  generation: number;
  metageneration: number;
  contentType: string;
  metadata?: Record<string, string>;
  crc32c: string;
  md5Hash: string;
  created: string;
}

interface Session {
  bucket: string;
  name: string;
  chunks: Buffer[];
  received: number;
  meta: Record<string, unknown>;
  params: URLSearchParams;
  done?: StoredGcsObject;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC32C (Castagnoli), table-driven: an implementation independent of the client's. */
export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function crc32cBase64(data: Uint8Array): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32c(data));
  return b.toString('base64');
}

export interface GcsServer {
  /** For `apiEndpoint`. */
  readonly endpoint: string;
  readonly buckets: Map<string, Map<string, StoredGcsObject>>;
  readonly counters: { requests: number; byKind: Record<string, number>; faults: number; bytesServed: number; ranges: [number, number][] };
  failNext(fault: GcsFault): void;
  put(bucket: string, name: string, data: Uint8Array, metadata?: Record<string, string>): StoredGcsObject;
  reset(): void;
  close(): Promise<void>;
}

export async function startGcsServer(o: { buckets?: string[] } = {}): Promise<GcsServer> {
  const buckets = new Map<string, Map<string, StoredGcsObject>>((o.buckets ?? ['bucket']).map((b) => [b, new Map()]));
  const sessions = new Map<string, Session>();
  const fresh = () => ({ requests: 0, byKind: {} as Record<string, number>, faults: 0, bytesServed: 0, ranges: [] as [number, number][] });
  let counters = fresh();
  const faults: (GcsFault & { left: number; skipped: number })[] = [];
  let generation = 1_700_000_000_000_000;
  let origin = '';
  const sockets = new Set<Socket>();

  const store = (bucket: string, name: string, data: Buffer, meta: Record<string, unknown>): StoredGcsObject => {
    const obj: StoredGcsObject = {
      name,
      data,
      generation: ++generation,
      metageneration: 1,
      contentType: String(meta.contentType ?? 'application/octet-stream'),
      metadata: meta.metadata as Record<string, string> | undefined,
      crc32c: crc32cBase64(data),
      md5Hash: createHash('md5').update(data).digest('base64'),
      created: new Date().toISOString(),
    };
    buckets.get(bucket)!.set(name, obj);
    return obj;
  };

  const resource = (bucket: string, obj: StoredGcsObject, corruptCrc = false) => ({
    kind: 'storage#object',
    id: `${bucket}/${obj.name}/${obj.generation}`,
    selfLink: `${origin}/storage/v1/b/${bucket}/o/${encodeURIComponent(obj.name)}`,
    mediaLink: `${origin}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(obj.name)}?generation=${obj.generation}&alt=media`,
    name: obj.name,
    bucket,
    generation: String(obj.generation),
    metageneration: String(obj.metageneration),
    contentType: obj.contentType,
    storageClass: 'STANDARD',
    size: String(obj.data.length),
    md5Hash: obj.md5Hash,
    crc32c: corruptCrc ? 'AAAAAA==' : obj.crc32c,
    etag: `C${obj.generation}`,
    timeCreated: obj.created,
    updated: obj.created,
    ...(obj.metadata ? { metadata: obj.metadata } : {}),
  });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
  const error = (res: ServerResponse, status: number, message: string): void =>
    json(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason: status === 412 ? 'conditionNotMet' : status === 404 ? 'notFound' : 'backendError' }] } });

  /** 412 unless the preconditions in `params` hold for the live object `cur`. */
  const preconditionsHold = (params: URLSearchParams, cur: StoredGcsObject | undefined): boolean => {
    const gm = params.get('ifGenerationMatch');
    if (gm !== null && Number(gm) !== (cur?.generation ?? 0)) return false;
    const gnm = params.get('ifGenerationNotMatch');
    if (gnm !== null && Number(gnm) === (cur?.generation ?? 0)) return false;
    const mm = params.get('ifMetagenerationMatch');
    if (mm !== null && (!cur || Number(mm) !== cur.metageneration)) return false;
    return true;
  };

  const body = async (req: IncomingMessage): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) parts.push(c);
    return Buffer.concat(parts);
  };

  const classify = (req: IncomingMessage, url: URL): { kind: GcsRequestKind; object?: string } => {
    const path = url.pathname.replace(/^\/storage\/v1/, '');
    const obj = /^\/b\/[^/]+\/o\/(.+)$/.exec(path);
    const object = obj ? decodeURIComponent(obj[1]!) : (url.searchParams.get('name') ?? undefined);
    if (req.method === 'PUT' && url.searchParams.get('upload_id')) {
      const s = sessions.get(url.searchParams.get('upload_id')!);
      const cr = String(req.headers['content-range'] ?? '');
      if (cr.startsWith('bytes */')) return { kind: 'status-query', object: s?.name };
      return { kind: /\/\d+$/.test(cr) ? 'final-chunk' : 'chunk', object: s?.name };
    }
    if (req.method === 'POST' && url.pathname.startsWith('/upload/')) return { kind: url.searchParams.get('uploadType') === 'resumable' ? 'start-resumable' : 'multipart', object };
    if (req.method === 'DELETE') return { kind: 'delete', object };
    if (req.method === 'GET' && obj) return { kind: url.searchParams.get('alt') === 'media' ? 'media' : 'metadata', object };
    if (req.method === 'GET' && /^\/b\/[^/]+\/o$/.test(path)) return { kind: 'list' };
    return { kind: 'other', object };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    counters.requests++;
    const url = new URL(req.url ?? '/', origin);
    const { kind, object } = classify(req, url);
    counters.byKind[kind] = (counters.byKind[kind] ?? 0) + 1;
    const fault = faults.find((f) => f.left > 0 && f.kind === kind && (f.object === undefined || f.object === object));
    let fire = false;
    if (fault) {
      if (fault.skipped < (fault.skip ?? 0)) fault.skipped++;
      else {
        fault.left--;
        fire = true;
        counters.faults++;
      }
    }
    if (fire && fault!.delayMs) await new Promise((r) => setTimeout(r, fault!.delayMs));
    if (fire && fault!.reset) {
      await body(req).catch(() => undefined);
      req.socket.destroy();
      return;
    }
    if (fire && fault!.status) {
      await body(req).catch(() => undefined);
      return error(res, fault!.status, 'injected fault');
    }
    const path = url.pathname.replace(/^\/storage\/v1/, '').replace(/^\/upload\/storage\/v1/, '');
    const bm = /^\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(path);
    if (kind === 'chunk' || kind === 'final-chunk' || kind === 'status-query') return chunk(req, res, url, kind, fire ? fault : undefined);
    if (!bm) return error(res, 404, `no route ${req.method} ${url.pathname}`);
    const bucket = buckets.get(bm[1]!);
    if (!bucket) return error(res, 404, `bucket ${bm[1]} not found`);
    const name = bm[2] ? decodeURIComponent(bm[2]) : url.searchParams.get('name') ?? '';
    const cur = bucket.get(name);

    switch (kind) {
      case 'list': {
        const prefix = url.searchParams.get('prefix') ?? '';
        const delimiter = url.searchParams.get('delimiter');
        const max = Number(url.searchParams.get('maxResults') ?? 1000);
        const token = url.searchParams.get('pageToken');
        const entries: { key: string; obj?: StoredGcsObject }[] = [];
        const prefixes = new Set<string>();
        for (const k of [...bucket.keys()].sort()) {
          if (!k.startsWith(prefix)) continue;
          const rest = k.slice(prefix.length);
          const cut = delimiter ? rest.indexOf(delimiter) : -1;
          if (cut >= 0) {
            const p = prefix + rest.slice(0, cut + delimiter!.length);
            if (!prefixes.has(p)) {
              prefixes.add(p);
              entries.push({ key: p });
            }
          } else entries.push({ key: k, obj: bucket.get(k) });
        }
        const start = token ? entries.findIndex((e) => e.key > Buffer.from(token, 'base64').toString()) : 0;
        const page = start < 0 ? [] : entries.slice(start, start + max);
        const more = start >= 0 && start + max < entries.length;
        const items = page.filter((e) => e.obj).map((e) => resource(bm[1]!, e.obj!));
        const pfx = page.filter((e) => !e.obj).map((e) => e.key);
        return json(res, 200, {
          kind: 'storage#objects',
          ...(items.length ? { items } : {}),
          ...(pfx.length ? { prefixes: pfx } : {}),
          ...(more ? { nextPageToken: Buffer.from(page[page.length - 1]!.key).toString('base64') } : {}),
        });
      }
      case 'metadata': {
        const g = url.searchParams.get('generation');
        if (!cur || (g && Number(g) !== cur.generation)) return error(res, 404, `No such object: ${bm[1]}/${name}`);
        if (!preconditionsHold(url.searchParams, cur)) return error(res, 412, 'At least one of the pre-conditions you specified did not hold.');
        return json(res, 200, resource(bm[1]!, cur, fire && fault!.corruptCrc));
      }
      case 'media': {
        const g = url.searchParams.get('generation');
        if (!cur || (g && Number(g) !== cur.generation)) return error(res, 404, `No such object: ${bm[1]}/${name}`);
        const headers: Record<string, string | number> = {
          'content-type': cur.contentType,
          'x-goog-generation': String(cur.generation),
          'x-goog-stored-content-encoding': 'identity',
          'x-goog-hash': `crc32c=${cur.crc32c},md5=${cur.md5Hash}`,
          'accept-ranges': 'bytes',
        };
        const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
        let data = cur.data;
        let status = 200;
        if (range) {
          const s = Number(range[1]);
          const e = range[2] ? Math.min(Number(range[2]), cur.data.length - 1) : cur.data.length - 1;
          if (s >= cur.data.length) return error(res, 416, 'Requested range not satisfiable');
          data = cur.data.subarray(s, e + 1);
          status = 206;
          headers['content-range'] = `bytes ${s}-${e}/${cur.data.length}`;
          counters.ranges.push([s, e - s + 1]);
        }
        headers['content-length'] = data.length;
        if (fire && fault!.truncate) {
          res.writeHead(status, headers);
          counters.bytesServed += data.length >> 1;
          res.write(data.subarray(0, data.length >> 1), () => req.socket.destroy());
          return;
        }
        counters.bytesServed += data.length;
        res.writeHead(status, headers);
        res.end(data);
        return;
      }
      case 'delete': {
        if (!cur) return error(res, 404, `No such object: ${bm[1]}/${name}`);
        if (!preconditionsHold(url.searchParams, cur)) return error(res, 412, 'At least one of the pre-conditions you specified did not hold.');
        bucket.delete(name);
        res.writeHead(204);
        res.end();
        return;
      }
      case 'multipart': {
        const raw = await body(req);
        const boundary = /boundary=("?)([^";]+)\1/.exec(String(req.headers['content-type']))?.[2];
        if (!boundary) return error(res, 400, 'multipart body without boundary');
        const parts = splitMultipart(raw, boundary);
        if (parts.length !== 2) return error(res, 400, `multipart body with ${parts.length} parts`);
        const meta = JSON.parse(parts[0]!.toString('utf8')) as Record<string, unknown>;
        const objName = String(meta.name ?? name);
        if (!preconditionsHold(url.searchParams, bucket.get(objName))) return error(res, 412, 'At least one of the pre-conditions you specified did not hold.');
        return json(res, 200, resource(bm[1]!, store(bm[1]!, objName, parts[1]!, meta)));
      }
      case 'start-resumable': {
        const raw = await body(req);
        const meta = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
        // The client sends a resumable upload's content type as a header, as GCS documents it.
        if (meta.contentType === undefined && req.headers['x-upload-content-type']) meta.contentType = String(req.headers['x-upload-content-type']);
        const objName = url.searchParams.get('name') ?? String(meta.name ?? '');
        if (!preconditionsHold(url.searchParams, bucket.get(objName))) return error(res, 412, 'At least one of the pre-conditions you specified did not hold.');
        const id = randomUUID();
        sessions.set(id, { bucket: bm[1]!, name: objName, chunks: [], received: 0, meta, params: url.searchParams });
        res.writeHead(200, { location: `${origin}/upload/storage/v1/b/${bm[1]}/o?uploadType=resumable&name=${encodeURIComponent(objName)}&upload_id=${id}`, 'content-length': 0 });
        res.end();
        return;
      }
      default:
        return error(res, 404, `no route ${req.method} ${url.pathname}`);
    }
  };

  const chunk = async (req: IncomingMessage, res: ServerResponse, url: URL, kind: GcsRequestKind, fault?: GcsFault): Promise<void> => {
    const s = sessions.get(url.searchParams.get('upload_id')!);
    const data = await body(req);
    if (!s) return error(res, 404, 'no such upload session');
    const incomplete = (): void => {
      res.writeHead(308, s.received > 0 ? { range: `bytes=0-${s.received - 1}`, 'content-length': 0 } : { 'content-length': 0 });
      res.end();
    };
    if (s.done) return json(res, 200, resource(s.bucket, s.done));
    const cr = /^bytes (?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(String(req.headers['content-range'] ?? ''));
    if (!cr) return error(res, 400, `bad Content-Range ${req.headers['content-range']}`);
    const total = cr[3] === '*' ? undefined : Number(cr[3]);
    if (cr[1] !== undefined) {
      const first = Number(cr[1]);
      if (first > s.received) return error(res, 400, `chunk starts at ${first}, ${s.received} bytes received`);
      if (data.length !== Number(cr[2]) - first + 1) return error(res, 400, 'chunk length differs from its Content-Range');
      const fresh = data.subarray(s.received - first); // a resent overlap is skipped
      s.chunks.push(fresh);
      s.received += fresh.length;
    }
    if (total === undefined || s.received < total) return incomplete();
    const bucket = buckets.get(s.bucket)!;
    if (!preconditionsHold(s.params, bucket.get(s.name))) return error(res, 412, 'At least one of the pre-conditions you specified did not hold.');
    s.done = store(s.bucket, s.name, Buffer.concat(s.chunks), s.meta);
    if (fault?.resetAfterCommit) {
      req.socket.destroy();
      return;
    }
    return json(res, 200, resource(s.bucket, s.done));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) error(res, 500, String(err));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint: origin,
    buckets,
    get counters() {
      return counters;
    },
    failNext: (f) => faults.push({ ...f, left: f.times ?? 1, skipped: 0 }),
    put: (bucket, name, data, metadata) => store(bucket, name, Buffer.from(data), { metadata }),
    reset: () => {
      counters = fresh();
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** The parts of a multipart/related body, without their headers. */
function splitMultipart(raw: Buffer, boundary: string): Buffer[] {
  const sep = Buffer.from(`--${boundary}`);
  const out: Buffer[] = [];
  let at = raw.indexOf(sep);
  while (at >= 0) {
    const start = at + sep.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(sep, start);
    if (next < 0) break;
    const part = raw.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    // The part ends with the CRLF that precedes the next boundary.
    out.push(part.subarray(headerEnd + 4, part.length - 2));
    at = next;
  }
  return out;
}
