/**
 * The writer side of bench/replicate-lag.ts and the `file-replication` row, run inside the
 * source namespace: a writer of small files at a fixed rate (with hotstandby's source in the same
 * process), so each file's lag is measured on one clock. Prints one JSON line with the result.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { relFromBytes } from '../src/replicate/paths.js';
import { labSource } from '../src/replicate/node-process.js';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface AppearLagWorkload {
  root: string;
  /** The replica's tree (same filesystem, other namespace): appearance under the final name is timed. */
  target: string;
  ratePerSecond: number;
  seconds: number;
  fileBytes: number;
  /** Run hotstandby's source in this process (else something else replicates, e.g. lsyncd). */
  hotstandby?: { host: string; port: number; keyHex: string };
  /** Give up waiting for the last files after this long. */
  drainMs: number;
}

/**
 * Small files written at a fixed rate; each timed from its write to its appearance under its
 * final name in the replica's tree (inotify on that directory), the same measure for every
 * replicator. With hotstandby, also to the replica's acknowledgement (durable there).
 */
export async function runAppearLagWorkload(config: AppearLagWorkload): Promise<void> {
  const { watch } = await import('node:fs');
  const written = new Map<string, number>();
  const appeared: number[] = [];
  const acked: number[] = [];
  const watcher = watch(config.target, (_event, name) => {
    if (typeof name !== 'string') return;
    const at = written.get(name);
    if (at === undefined) return;
    written.delete(name);
    appeared.push(performance.now() - at);
  });
  const pendingAck = new Map<string, number>();
  let replicator: ReturnType<typeof labSource> | undefined;
  if (config.hotstandby) {
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    replicator = labSource({ root: config.root, ...config.hotstandby }, (event) => {
      if (event.kind === 'rescan-done' && event.path === '') connected();
      if (event.kind !== 'synced') return;
      const at = pendingAck.get(event.path);
      if (at === undefined) return;
      pendingAck.delete(event.path);
      acked.push(performance.now() - at);
    });
    await replicator.start();
    await ready;
  }
  const total = config.ratePerSecond * config.seconds;
  const payload = Buffer.alloc(config.fileBytes, 0x61);
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * config.ratePerSecond));
      for (; n < due; n++) {
        const name = `f${n}`;
        const now = performance.now();
        written.set(name, now);
        if (replicator) pendingAck.set(relFromBytes(Buffer.from(name)), now);
        writeFileSync(join(config.root, name), payload);
      }
      if (n >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  const deadline = performance.now() + config.drainMs;
  while ((written.size > 0 || pendingAck.size > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  watcher.close();
  const cpu = process.cpuUsage(cpuBefore);
  appeared.sort((a, b) => a - b);
  acked.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      result: {
        ratePerSecond: config.ratePerSecond,
        files: total,
        missed: written.size,
        lag_p50_ms: quantile(appeared, 0.5),
        lag_p99_ms: quantile(appeared, 0.99),
        lag_max_ms: appeared[appeared.length - 1] ?? null,
        ack_p50_ms: replicator ? quantile(acked, 0.5) : null,
        ack_p99_ms: replicator ? quantile(acked, 0.99) : null,
        writer_cpu_s: (cpu.user + cpu.system) / 1e6,
        writer_rss_mb: process.memoryUsage().rss / 1e6,
      },
    })}\n`,
  );
  await replicator?.close();
}
