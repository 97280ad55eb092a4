/**
 * URL rules for remote inputs: which schemes are read over HTTP, and the name a URL goes by in
 * errors, logs, ledgers and metadata: scheme, host and path, never the query string (it holds the
 * signature of a signed URL) nor user information.
 */

/** `davs://` and `dav://` are WebDAV over HTTPS and HTTP: the same requests. */
export function httpUrl(url: string): URL {
  const u = new URL(url);
  if (u.protocol === 'davs:') return new URL(`https:${url.slice('davs:'.length)}`);
  if (u.protocol === 'dav:') return new URL(`http:${url.slice('dav:'.length)}`);
  return u;
}

export function isUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

export function schemeOf(text: string): string {
  return isUrl(text) ? text.slice(0, text.indexOf(':')).toLowerCase() : 'file';
}

/** The URL without query string, fragment or credentials: what may be shown and stored. */
export function redactUrl(url: string): string {
  if (!isUrl(url)) return url;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}
