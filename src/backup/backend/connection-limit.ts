/**
 * restic's `<backend>.connections` (extended-options.ts): a backend whose requests wait their
 * turn so that at most `limit` run at once (restic's sema.Semaphore around every backend call).
 * Only the requests are counted — save, saveFrom, createTemp, commitTemp, load, stat, remove,
 * list, listTemporary, removeTemporary; create, open, close and location pass straight through.
 */
import type { Backend } from '../repo/backend.js';
import { Semaphore } from '../concurrency.js';

const LIMITED = new Set(['save', 'saveFrom', 'createTemp', 'commitTemp', 'load', 'stat', 'remove', 'list', 'listTemporary', 'removeTemporary']);

export function limitConnections<B extends Backend>(backend: B, limit: number): B {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`A connection limit must be a whole number, at least 1 (got ${limit})`);
  const sema = new Semaphore(limit);
  return new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !LIMITED.has(prop) || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return (...args: unknown[]) => sema.run(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}
