/**
 * The demo's web service and client as the processes they run as, on the loopback address (no
 * namespaces, no root): the client learns which node answers, and sees refusals once the
 * service is gone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import type { HttpClientConfig } from '../../src/lab/http-client-process.js';
import { parseOutcomeLine, type RequestOutcome } from '../../src/lab/request-outcome.js';
import type { WebServerConfig } from '../../src/demo/web-server-process.js';
import { waitFor } from '../../src/lab/index.js';

/** Starts export `name` of `module` (relative to this file) as its own process. */
function start(module: string, name: string, config: unknown): { child: ChildProcess; lines: string[] } {
  const [file, ...args] = nodeEntryCommand(new URL(module, import.meta.url).href, name, config);
  const child = spawn(file as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  return { child, lines };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

test('the client gets answers naming the node, then refusals when the web service dies', async () => {
  const web = start('../../src/demo/web-server-process.js', 'runWebServer', { node: 'x1', port: 0, host: '127.0.0.1', labDir: 'test' } satisfies WebServerConfig);
  let client: ReturnType<typeof start> | undefined;
  try {
    const listening = await waitFor(() => web.lines.map((l) => JSON.parse(l) as { event: string; port: number }).find((e) => e.event === 'listening'), {
      description: 'the web service to listen',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    const config: HttpClientConfig = { url: `http://127.0.0.1:${listening.port}/`, intervalMs: 20, timeoutMs: 500 };
    client = start('../../src/lab/http-client-process.js', 'runHttpClient', config);
    const outcomes = (): RequestOutcome[] => client!.lines.map(parseOutcomeLine).filter((o): o is RequestOutcome => o !== undefined);
    await waitFor(() => outcomes().filter((o) => o.ok).length >= 5, { description: 'five answers', timeoutMs: 10_000, intervalMs: 20 });
    assert.ok(outcomes().filter((o) => o.ok).every((o) => o.node === 'x1'));

    await stop(web.child);
    const killedAt = Date.now();
    // A request in flight when the service died may end as a reset; the ones after it are refused.
    await waitFor(() => outcomes().find((o) => !o.ok && o.at > killedAt && o.error === 'ECONNREFUSED'), { description: 'a refused request', timeoutMs: 10_000, intervalMs: 20 });
    const failures = outcomes().filter((o) => !o.ok && o.at > killedAt);
    assert.ok(failures.every((o) => o.error === 'ECONNREFUSED' || o.error === 'ECONNRESET'), `failures after the kill: ${failures.map((o) => o.error).join(', ')}`);

    // Outcomes are reported in the order the requests finished (the demo relies on it).
    const times = outcomes().map((o) => o.at);
    assert.deepEqual(times, [...times].sort((p, q) => p - q));
  } finally {
    await stop(web.child);
    if (client) await stop(client.child);
  }
});

test('a request that is not answered in time ends as a timeout', async () => {
  const { getOnce } = await import('../../src/lab/http-client-process.js');
  const { createServer } = await import('node:net');
  // Accepts the connection but never answers.
  const silent = createServer(() => {});
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    const outcome = await getOnce(`http://127.0.0.1:${port}/`, 150);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error, 'timeout');
    assert.ok(Date.now() - started < 1000);
  } finally {
    silent.close();
  }
});
