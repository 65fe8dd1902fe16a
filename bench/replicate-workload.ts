/**
 * The writer side of bench/replicate-lag.ts, run inside the source namespace: a SourceReplicator
 * plus a writer of small files at a fixed rate in the same process, so the lag of each file is
 * measured on one clock from its write to the replica's acknowledgement (after fsync and rename
 * there). Prints one JSON line with the result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { relFromBytes } from '../src/replicate/paths.js';
import { labSource } from '../src/replicate/node-process.js';

export interface LagWorkload {
  root: string;
  host: string;
  port: number;
  keyHex: string;
  ratePerSecond: number;
  seconds: number;
  fileBytes: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function runLagWorkload(config: LagWorkload): Promise<void> {
  const written = new Map<string, number>();
  const lags: number[] = [];
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const replicator = labSource(config, (event) => {
    if (event.kind === 'rescan-done' && event.path === '') connected();
    if (event.kind !== 'synced') return;
    const at = written.get(event.path);
    if (at === undefined) return;
    written.delete(event.path);
    lags.push(performance.now() - at);
  });
  await replicator.start();
  await ready;
  const total = config.ratePerSecond * config.seconds;
  const payload = Buffer.alloc(config.fileBytes, 0x61);
  const start = performance.now();
  let n = 0;
  let maxQueue = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * config.ratePerSecond));
      for (; n < due; n++) {
        const name = `f${n}`;
        written.set(relFromBytes(Buffer.from(name)), performance.now());
        writeFileSync(join(config.root, name), payload);
      }
      maxQueue = Math.max(maxQueue, replicator.queueDepth);
      if (n >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  const deadline = performance.now() + 30_000;
  while (written.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  lags.sort((a, b) => a - b);
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({
      result: {
        ratePerSecond: config.ratePerSecond,
        files: total,
        acknowledged: lags.length,
        missed: written.size,
        lag_p50_ms: quantile(lags, 0.5),
        lag_p99_ms: quantile(lags, 0.99),
        lag_max_ms: lags[lags.length - 1],
        max_queue_depth: maxQueue,
        cpu_s: (cpu.user + cpu.system) / 1e6,
        rss_mb: process.memoryUsage().rss / 1e6,
      },
    })}\n`,
  );
  await replicator.close();
}
