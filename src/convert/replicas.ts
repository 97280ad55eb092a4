/**
 * Inputs with several places to read from: the output of `rucio list-file-replicas --pfns` (one
 * physical file name a line) and Rucio metalink XML (`--metalink`). Each file becomes one input
 * whose identity is its Rucio `scope:name` (from the metalink, or from the deterministic PFN path
 * `.../rucio/<scope as folders>/<md5[0:2]>/<md5[2:4]>/<name>`, checked against the md5), with its
 * replicas ordered by preferred RSE, then preferred scheme, then Rucio's priority; the first is
 * read, the others are fallbacks. `root://` replicas are set aside with the reason (no XRootD
 * client here); a file left without a usable replica is reported, not silently dropped.
 */
import { createHash } from 'node:crypto';
import { redactUrl, schemeOf } from '../root/source/url.ts';

export interface InputSpec {
  /** Identity: a path, a URL without its query string, or Rucio scope:name. */
  id: string;
  /** Where to read it, best first (URLs may carry signatures; never log them). */
  replicas: string[];
  size?: number;
  /** Adler-32 from Rucio (8 hex digits), checked on whole downloads. */
  adler32?: string;
  /** Replicas set aside, with the reason (for the log). */
  skipped?: string[];
}

export interface ReplicaPreferences {
  /** Schemes best first (default davs, https, http, dav, gs). */
  schemes?: string[];
  /** RSEs best first. */
  rses?: string[];
}

export const DEFAULT_SCHEMES = ['davs', 'https', 'http', 'dav', 'gs', 'file'];
/** Schemes this project cannot read, with the reason. */
export const UNREADABLE_SCHEMES: Record<string, string> = { root: 'root:// needs an XRootD client, which physlite does not have' };

interface Replica {
  url: string;
  rse?: string;
  priority: number;
}

/** scope:name of a PFN on a deterministic Rucio path, when the md5 folders confirm it. */
export function rucioDid(url: string): string | undefined {
  const path = redactUrl(url).replace(/^[a-z+.-]+:\/\/[^/]*/i, '');
  const m = /\/rucio\/(.+)\/([0-9a-f]{2})\/([0-9a-f]{2})\/([^/]+)$/.exec(path);
  if (!m) return undefined;
  const [, scopePath, h1, h2, name] = m;
  // Scopes with dots (user.jdoe) are folders on disk; try the candidates from the longest suffix.
  const parts = scopePath!.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const scope = parts.slice(i).join('.');
    const md5 = createHash('md5').update(`${scope}:${name}`).digest('hex');
    if (md5.startsWith(h1! + h2!)) return `${scope}:${name}`;
  }
  return undefined;
}

/** Order replicas and set aside those that cannot be read. */
export function chooseReplicas(id: string, replicas: Replica[], prefs: ReplicaPreferences = {}, size?: number): InputSpec {
  const schemes = prefs.schemes ?? DEFAULT_SCHEMES;
  const rses = prefs.rses ?? [];
  const rank = (list: string[], v: string | undefined): number => {
    const i = v === undefined ? -1 : list.indexOf(v);
    return i < 0 ? list.length : i;
  };
  const usable: Replica[] = [];
  const skipped: string[] = [];
  for (const r of replicas) {
    const why = UNREADABLE_SCHEMES[schemeOf(r.url)];
    if (why) skipped.push(`${redactUrl(r.url)}: ${why}`);
    else usable.push(r);
  }
  usable.sort((a, b) => rank(rses, a.rse) - rank(rses, b.rse) || rank(schemes, schemeOf(a.url)) - rank(schemes, schemeOf(b.url)) || a.priority - b.priority);
  const spec: InputSpec = { id, replicas: [...new Set(usable.map((r) => r.url))] };
  if (size !== undefined) spec.size = size;
  if (skipped.length) spec.skipped = skipped;
  return spec;
}

/** Lines of paths or URLs (a `rucio list-file-replicas --pfns` output among them), grouped by identity. */
export function specsFromLines(lines: readonly string[], prefs: ReplicaPreferences = {}): InputSpec[] {
  const groups = new Map<string, Replica[]>();
  for (const [i, url] of lines.entries()) {
    const id = rucioDid(url) ?? redactUrl(url);
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id)!.push({ url, priority: i });
  }
  return [...groups].map(([id, reps]) => chooseReplicas(id, reps, prefs));
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined;
}

export interface MetalinkFile {
  did: string;
  size?: number;
  adler32?: string;
  replicas: Replica[];
}

/** The files of a Rucio metalink (urn:ietf:params:xml:ns:metalink, as `rucio list-file-replicas --metalink` writes it). */
export function parseMetalink(xml: string): MetalinkFile[] {
  const out: MetalinkFile[] = [];
  for (const fm of xml.matchAll(/<file\b([^>]*)>([\s\S]*?)<\/file>/g)) {
    const body = fm[2]!;
    const identity = /<identity>([\s\S]*?)<\/identity>/.exec(body)?.[1];
    const did = unescapeXml((identity ?? attr(fm[1]!, 'name') ?? '').trim());
    const size = /<size>\s*(\d+)\s*<\/size>/.exec(body)?.[1];
    const adler32 = /<hash\b[^>]*type=["']adler32["'][^>]*>\s*([0-9a-fA-F]+)\s*<\/hash>/.exec(body)?.[1];
    const replicas: Replica[] = [];
    for (const um of body.matchAll(/<url\b([^>]*)>([\s\S]*?)<\/url>/g)) {
      const p = Number(attr(um[1]!, 'priority') ?? replicas.length + 1);
      replicas.push({ url: unescapeXml(um[2]!.trim()), rse: attr(um[1]!, 'location'), priority: Number.isFinite(p) ? p : replicas.length + 1 });
    }
    if (did) out.push({ did, size: size === undefined ? undefined : Number(size), adler32: adler32?.toLowerCase(), replicas });
  }
  return out;
}

export function specsFromMetalink(xml: string, prefs: ReplicaPreferences = {}): InputSpec[] {
  return parseMetalink(xml).map((f) => {
    const spec = chooseReplicas(f.did, f.replicas, prefs, f.size);
    if (f.adler32) spec.adler32 = f.adler32;
    return spec;
  });
}
