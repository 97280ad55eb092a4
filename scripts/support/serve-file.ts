/**
 * One file served over loopback HTTP in a process of its own (test/support/range-server.ts), each
 * answer delayed by `latencyMs`: benchmarks that overlap fetching with decoding need the server
 * off their event loop, as a remote server is. Prints the file's URL on its first line, then serves
 * until killed. Usage: node scripts/support/serve-file.ts FILE LATENCY_MS
 */
import { readFileSync } from 'node:fs';
import { startRangeServer } from '../../test/support/range-server.ts';

const [file, latency] = [process.argv[2]!, Number(process.argv[3] ?? 0)];
const server = await startRangeServer({ files: { '/input.root': new Uint8Array(readFileSync(file)) } });
server.faults = latency ? { slowMs: latency } : {};
process.stdout.write(`${server.url('/input.root')}\n`);
setInterval(() => undefined, 1 << 30);
