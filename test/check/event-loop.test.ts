/**
 * Checks must never stall the daemon's event loop (VRRP adverts may be 10 ms apart). Runs many
 * checks at short intervals against local servers and measures the event loop delay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CheckSet } from '../../src/check/check-set.js';
import type { CheckConfig } from '../../src/config/check-model.js';
import { keepingLogger, realTime, waitFor } from './helpers.js';

const common = { timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false, source: { file: 'test', line: 1 } };
const ms = (ns: number) => (ns / 1e6).toFixed(2);
const SERVER = `
const server = require('node:http').createServer((req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

/** ms this process's main thread (the event loop) has run on a CPU (schedstat's first field). */
function mainThreadCpuMs(): number {
  return Number(readFileSync(`/proc/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/**
 * The event loop's stalls while `configs` run, by what the loop itself did. Each turn of a 1 ms
 * timer records how long the main thread ran on a CPU since the one before: a check that does its
 * work on the loop (a synchronous scan, a blocking parse) makes that long. A loaded machine makes
 * the turns late (the scheduler runs other processes) but not longer on the CPU, so the
 * assertions hold on a busy machine too; the event loop delay is reported for information.
 */
async function measure(configs: CheckConfig[], durationMs: number, runsEach = 0) {
  const checks = new CheckSet(configs, { clock: realTime, timers: realTime, log: keepingLogger(), wallClock: () => new Date() });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const cpuPerTurn: number[] = [];
  let last = mainThreadCpuMs();
  const sampler = setInterval(() => {
    const now = mainThreadCpuMs();
    cpuPerTurn.push(now - last);
    last = now;
  }, 1);
  histogram.enable();
  const cpuBefore = process.cpuUsage();
  checks.start();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  // A loaded machine runs fewer checks in the window: then it lasts until each has run runsEach times.
  await waitFor(() => checks.statuses().every((s) => s.runs >= runsEach), `each check to run ${runsEach} times`, 60_000);
  histogram.disable();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuBefore);
  checks.stop();
  const statuses = checks.statuses();
  cpuPerTurn.sort((x, y) => x - y);
  return {
    p50: histogram.percentile(50),
    p99: histogram.percentile(99),
    max: histogram.max,
    /** p99 of the main thread's CPU time between two turns of a 1 ms timer. */
    cpuPerTurnP99Ms: cpuPerTurn[Math.floor(cpuPerTurn.length * 0.99)] ?? 0,
    runs: statuses.reduce((sum, s) => sum + s.runs, 0),
    skipped: statuses.reduce((sum, s) => sum + s.skippedTicks, 0),
    healthy: statuses.filter((s) => s.healthy).length,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

test('event loop: 20 http checks every 50 ms keep the loop responsive', async (t) => {
  // The server runs in its own process so only the checks' cost lands on this event loop.
  const server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => server.kill('SIGKILL'));
  const [line] = (await once(server.stdout, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  const configs: CheckConfig[] = Array.from({ length: 20 }, (_, i) => ({
    ...common,
    kind: 'http',
    name: `http-${i}`,
    intervalMs: 50,
    url: `http://127.0.0.1:${port}/health`,
    expectStatus: [[200, 299]],
    bodyRegex: 'ok',
    tlsVerify: true,
  }));
  const idle = await measure([], 1000);
  t.diagnostic(`idle baseline (1 ms sampling timer): event loop delay p50 ${ms(idle.p50)} ms, p99 ${ms(idle.p99)} ms, max ${ms(idle.max)} ms; loop CPU per turn p99 ${idle.cpuPerTurnP99Ms.toFixed(2)} ms`);
  const result = await measure(configs, 3000, 20);
  t.diagnostic(
    `20 http checks @50 ms for ≥ 3 s: ${result.runs} probes (${(result.cpuMs / result.runs).toFixed(2)} ms CPU each), ${result.skipped} skipped ticks; event loop delay p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms, max ${ms(result.max)} ms; loop CPU per turn p99 ${result.cpuPerTurnP99Ms.toFixed(2)} ms`,
  );
  assert.equal(result.healthy, 20);
  // Generous: a check that works on the loop would show tens or hundreds of ms.
  assert.ok(result.cpuPerTurnP99Ms < 50, `event loop's CPU time per turn p99 ${result.cpuPerTurnP99Ms.toFixed(2)} ms`);
});

test('event loop: process name checks scanning /proc every 50 ms keep the loop responsive', async (t) => {
  const configs: CheckConfig[] = Array.from({ length: 5 }, (_, i) => ({
    ...common,
    kind: 'process',
    name: `proc-${i}`,
    intervalMs: 50,
    match: { name: `hs-none-${i}` },
    quorum: 1,
  }));
  const result = await measure(configs, 3000, 10);
  t.diagnostic(
    `5 process scans @50 ms for ≥ 3 s: ${result.runs} scans (${(result.cpuMs / result.runs).toFixed(2)} ms CPU each), ${result.skipped} skipped ticks; event loop delay p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms, max ${ms(result.max)} ms; loop CPU per turn p99 ${result.cpuPerTurnP99Ms.toFixed(2)} ms`,
  );
  assert.ok(result.cpuPerTurnP99Ms < 50, `event loop's CPU time per turn p99 ${result.cpuPerTurnP99Ms.toFixed(2)} ms`);
});
