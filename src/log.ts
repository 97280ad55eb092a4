/**
 * Logging for every command: one line per event on stderr, as text ("physlite: error: ...") or as
 * JSON objects with `time`, `severity`, `message` (the fields Cloud Logging reads) plus context.
 */
export type LogFormat = 'text' | 'json';
export type Severity = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

export interface Logger {
  format: LogFormat;
  verbose: boolean;
  log(severity: Severity, message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  debug(message: string, context?: Record<string, unknown>): void;
}

export function createLogger(format: LogFormat = 'text', verbose = false, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const log = (severity: Severity, message: string, context: Record<string, unknown> = {}): void => {
    if (severity === 'DEBUG' && !verbose) return;
    if (format === 'json') {
      const fields = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
      write(JSON.stringify({ time: new Date().toISOString(), severity, message, ...fields }, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    } else {
      const extra = Object.entries(context)
        .filter(([k, v]) => v !== undefined && k !== 'stack')
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      const text = `physlite: ${severity === 'INFO' ? '' : severity.toLowerCase() + ': '}${message}${extra.length ? ' [' + extra.join(' ') + ']' : ''}`;
      write(text);
      if (context.stack && verbose) write(String(context.stack));
    }
  };
  return {
    format,
    verbose,
    log,
    info: (m, c) => log('INFO', m, c),
    warn: (m, c) => log('WARNING', m, c),
    error: (m, c) => log('ERROR', m, c),
    debug: (m, c) => log('DEBUG', m, c),
  };
}
