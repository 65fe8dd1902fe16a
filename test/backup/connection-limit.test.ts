/** limitConnections() (restic's <backend>.connections): never more requests at once than the limit; the rest wait, none is lost. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { limitConnections } from '../../src/backup/backend/connection-limit.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import type { Backend } from '../../src/backup/repo/backend.js';

/** A memory backend whose every request takes a few milliseconds and counts how many run at once. */
function slowBackend(): { backend: Backend; peak: () => number } {
  const inner = new MemoryBackend();
  let running = 0;
  let peak = 0;
  const slow = <T>(fn: () => Promise<T>) => async (): Promise<T> => {
    running++;
    peak = Math.max(peak, running);
    try {
      await new Promise((r) => setTimeout(r, 5));
      return await fn();
    } finally {
      running--;
    }
  };
  const backend = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => slow(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args))();
    },
  });
  return { backend, peak: () => peak };
}

test('limitConnections() runs at most N requests at once and completes them all', async () => {
  for (const limit of [1, 2, 5]) {
    const { backend, peak } = slowBackend();
    const b = limitConnections(backend, limit);
    await b.create();
    const names = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(64, '0'));
    await Promise.all(names.map((name) => b.save({ type: 'index', name }, Buffer.from(name))));
    const loaded = await Promise.all(names.map((name) => b.load({ type: 'index', name })));
    assert.deepEqual(loaded.map((x) => Buffer.from(x).toString()), names);
    assert.equal((await b.list('index')).length, 20);
    assert.equal(peak(), limit, `limit ${limit}`);
  }
  assert.throws(() => limitConnections(new MemoryBackend(), 0), /at least 1/);
});
