#!/usr/bin/env node
/**
 * The `physlite` command line: yargs with one module per command (registered in command.ts).
 * Maps every failure to the project's exit codes (0 ok, 1 usage, 2 permanent input failure,
 * 3 transient, 130/143 interrupted) and prints one line per error (stack only with --verbose).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, PhysliteError, UsageError, exitCodeOf } from '../errors.ts';
import { createLogger, type LogFormat, type Logger } from '../log.ts';
import { runShutdownHooks } from '../cleanup.ts';
import { allCommands } from './command.ts';
import './inspect.ts';
import './dump.ts';
import './generate.ts';
import './convert.ts';
import './analyze.ts';
import './merge.ts';
import './plan.ts';
import './status.ts';
import './finalize.ts';

export async function main(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t + '\n')): Promise<number> {
  const format: LogFormat = argv.includes('--log-format=json') || argv.join(' ').includes('--log-format json') ? 'json' : 'text';
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  let log: Logger = createLogger(format, verbose);
  let code = EXIT.ok as number;
  let failed: unknown;

  const parser = yargs(argv)
    .scriptName('physlite')
    .usage('$0 <command> [options]')
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'Show stack traces and debug logs' })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text', describe: 'Log lines as text or JSON (time, severity, message, context)' })
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help()
    .version()
    .exitProcess(false)
    .fail((msg, err) => {
      failed = err ?? new UsageError(msg);
    });

  for (const cmd of allCommands()) {
    parser.command(cmd.name, cmd.describe, cmd.builder, async (args) => {
      // yargs runs the handler even after .fail() reported a usage error: never act on bad arguments.
      if (failed !== undefined) return;
      log = createLogger(args['log-format'] as LogFormat, Boolean(args.verbose));
      try {
        code = await cmd.run(args as Record<string, unknown>, { log, out });
      } catch (err) {
        failed = err;
      }
    });
  }

  try {
    await parser.parseAsync();
  } catch (err) {
    failed ??= err;
  }
  if (failed !== undefined) {
    code = report(failed, log);
  }
  return code;
}

function report(err: unknown, log: Logger): number {
  const code = exitCodeOf(err);
  const stack = log.verbose ? (err as Error)?.stack : undefined;
  if (err instanceof PhysliteError) {
    const hint = err instanceof UsageError ? '; see physlite --help' : '';
    const context = log.format === 'json' ? { errorType: err.name, exitCode: code, ...err.context } : {};
    log.error(err.describe() + hint, { ...context, stack });
  } else {
    const e = err as Error;
    const context = log.format === 'json' ? { errorType: e?.name, exitCode: code } : {};
    log.error(`internal error: ${e?.message ?? String(err)}`, { ...context, stack });
  }
  return code;
}

function installSignalHandlers(): void {
  // Let running work stop cleanly (workers ended, temporary outputs removed), then exit.
  const stop = (code: number) => (): void => {
    void runShutdownHooks().finally(() => process.exit(code));
  };
  process.once('SIGINT', stop(EXIT.sigint));
  process.once('SIGTERM', stop(EXIT.sigterm));
}

function invokedDirectly(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

const isMain = invokedDirectly();
if (isMain) {
  installSignalHandlers();
  // Output piped into a reader that stops early (`| head`): stop quietly, as other tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
  });
  main(hideBin(process.argv)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`physlite: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = EXIT.permanent;
    },
  );
}
