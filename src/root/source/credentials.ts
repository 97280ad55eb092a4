/**
 * Grid credentials for HTTPS/WebDAV storage, found the usual ways:
 * - a bearer token by WLCG Bearer Token Discovery: BEARER_TOKEN (the token), BEARER_TOKEN_FILE
 *   (a file holding it), $XDG_RUNTIME_DIR/bt_u$UID, then /tmp/bt_u$UID;
 * - an X.509 proxy (certificate, key and chain in one PEM file) as client certificate from
 *   X509_USER_PROXY, else /tmp/x509up_u$UID when it exists;
 * - grid CA certificates from X509_CERT_DIR (else /etc/grid-security/certificates when present),
 *   added to Node's own CAs.
 * Nothing here is ever logged.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { UsageError } from '../../errors.ts';

export interface GridCredentials {
  token?: string;
  /** PEM: client certificate chain and key (an X.509 proxy holds both). */
  cert?: string;
  key?: string;
  /** Extra CA certificates (PEM), on top of Node's. */
  ca?: string[];
}

function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

export function discoverToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BEARER_TOKEN?.trim()) return env.BEARER_TOKEN.trim();
  const candidates: string[] = [];
  if (env.BEARER_TOKEN_FILE) {
    // Named explicitly: a missing file is the user's mistake, not something to skip.
    if (!existsSync(env.BEARER_TOKEN_FILE)) throw new UsageError(`BEARER_TOKEN_FILE ${env.BEARER_TOKEN_FILE} does not exist`);
    candidates.push(env.BEARER_TOKEN_FILE);
  }
  const id = uid();
  if (id !== undefined) {
    if (env.XDG_RUNTIME_DIR) candidates.push(join(env.XDG_RUNTIME_DIR, `bt_u${id}`));
    candidates.push(`/tmp/bt_u${id}`);
  }
  for (const f of candidates) {
    if (!existsSync(f)) continue;
    const t = readFileSync(f, 'utf8').trim();
    if (t) return t;
  }
  return undefined;
}

export function discoverProxy(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.X509_USER_PROXY) {
    if (!existsSync(env.X509_USER_PROXY)) throw new UsageError(`X509_USER_PROXY ${env.X509_USER_PROXY} does not exist`);
    return readFileSync(env.X509_USER_PROXY, 'utf8');
  }
  const id = uid();
  const f = id === undefined ? undefined : `/tmp/x509up_u${id}`;
  return f && existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}

export function discoverCAs(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const dir = env.X509_CERT_DIR ?? (existsSync('/etc/grid-security/certificates') ? '/etc/grid-security/certificates' : undefined);
  if (!dir) return undefined;
  const pems: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    // Hashed links (abcd1234.0) and .pem files; CRLs (.r0), policies and namespaces are not certificates.
    if (!/\.(pem|crt|\d+)$/.test(f)) continue;
    const text = readFileSync(join(dir, f), 'utf8');
    if (text.includes('BEGIN CERTIFICATE')) pems.push(text);
  }
  return pems.length ? [...rootCertificates, ...pems] : undefined;
}

let tls: Pick<GridCredentials, 'cert' | 'key' | 'ca'> | undefined;

/**
 * The process's grid credentials: the proxy and CAs read once, the token read at every call, since
 * token agents (oidc-agent, htgettoken) renew the file while long conversions run.
 */
export function gridCredentials(): GridCredentials {
  if (!tls) {
    const proxy = discoverProxy();
    tls = { cert: proxy, key: proxy, ca: discoverCAs() };
  }
  return { ...tls, token: discoverToken() };
}
