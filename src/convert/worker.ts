/**
 * A conversion worker process: converts one input at a time on request from the pool and answers
 * with the result or the error (its name, message, context and exit code), its memory use and the
 * CPU time (user + system, all of the process's threads) the input took.
 * Runs as a child process, so a worker's memory (WebAssembly memory never shrinks) goes away with it.
 */
import { PhysliteError, exitCodeOf } from '../errors.ts';
import type { ConvertOptions } from './convert-file.ts';
import { convertInput, type RemoteOptions } from './convert-input.ts';
import type { InputSpec } from './replicas.ts';

interface Job {
  id: number;
  input: string | InputSpec;
  options: ConvertOptions & RemoteOptions;
}

process.on('message', async (job: Job) => {
  const cpu0 = process.cpuUsage();
  const cpuSeconds = (): number => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  };
  try {
    const spec = typeof job.input === 'string' ? { id: job.input, replicas: [job.input] } : job.input;
    const result = await convertInput(spec, job.options);
    process.send!({ id: job.id, ok: true, result, rss: process.memoryUsage().rss, peakRss: peakRss(), cpuSeconds: cpuSeconds() });
  } catch (err) {
    const e = err as Error;
    process.send!({
      id: job.id,
      ok: false,
      error: {
        name: e?.name ?? 'Error',
        message: e?.message ?? String(err),
        context: err instanceof PhysliteError ? err.context : {},
        exitCode: exitCodeOf(err),
        describe: err instanceof PhysliteError ? err.describe() : e?.message,
      },
      rss: process.memoryUsage().rss,
      peakRss: peakRss(),
      cpuSeconds: cpuSeconds(),
    });
  }
});
/** The process's peak resident memory so far (the kernel's high-water mark, in bytes). */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

// Stop when the pool goes away.
process.on('disconnect', () => process.exit(0));
// Signals end the worker through process.exit, so its exit handlers remove temporary outputs.
process.once('SIGTERM', () => process.exit(143));
process.once('SIGINT', () => process.exit(130));
