import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ChangeQueue } from '../../src/replicate/change-queue.js';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/replicate/frames.js';
import { isSafeRel } from '../../src/replicate/paths.js';
import { TreeDigester } from '../../src/replicate/tree-digest.js';

test('FrameDecoder round-trips frames split at every byte boundary', () => {
  const frames: Frame[] = [
    { type: 'put', id: 7, header: { path: 'YQ==', mode: 420 }, payload: Buffer.from([0, 1, 2, 255]) },
    { type: 'data', id: 0, header: {}, payload: Buffer.alloc(0) },
  ];
  const bytes = Buffer.concat(frames.map(encodeFrame));
  for (let split = 0; split <= bytes.length; split++) {
    const decoder = new FrameDecoder();
    const out = [...decoder.push(bytes.subarray(0, split)), ...decoder.push(bytes.subarray(split))];
    assert.deepEqual(out.map((f) => encodeFrame(f)), frames.map(encodeFrame));
  }
});

test('FrameDecoder hands a payload that arrived in pieces over as views of those pieces (no copy), joined only when read', () => {
  const payload = Buffer.alloc(1024 * 1024 + 5);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 9)) & 0xff;
  const frames: Frame[] = [
    { type: 'begin', id: 3, header: { token: 'x'.repeat(40) }, payload: Buffer.alloc(0) },
    { type: 'data', id: 0, header: { offset: '0' }, payload },
    { type: 'ok', id: 9, header: {}, payload: Buffer.from('tail') },
  ];
  const bytes = Buffer.concat(frames.map(encodeFrame));
  for (const size of [16 * 1024, 1000, 65_536 + 3]) {
    // As TLS delivers it: separate Buffers, each its own memory (Buffer.alloc never shares a pool).
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) {
      const chunk = Buffer.alloc(Math.min(size, bytes.length - at));
      bytes.copy(chunk, 0, at);
      chunks.push(chunk);
    }
    const memory = new Set(chunks.map((chunk) => chunk.buffer));
    const decoder = new FrameDecoder();
    const out = chunks.flatMap((chunk) => decoder.push(chunk));
    assert.deepEqual(out.map((f) => encodeFrame(f)), frames.map(encodeFrame), `chunks of ${size}`);
    const data = out[1]!;
    assert.ok(data.parts !== undefined && data.parts.length > 1, `chunks of ${size}: the data payload comes in pieces`);
    for (const part of data.parts) assert.ok(memory.has(part.buffer), 'each piece is a view of a pushed chunk');
    assert.ok(Buffer.concat(data.parts).equals(payload));
  }
});

test('FrameDecoder rejects an unknown type and an oversized length', () => {
  const bad = encodeFrame({ type: 'ok', id: 1, header: {}, payload: Buffer.alloc(0) });
  bad.writeUInt8(200, 4);
  assert.throws(() => new FrameDecoder().push(bad), RangeError);
  const huge = Buffer.alloc(4);
  huge.writeUInt32BE(0xffffffff);
  assert.throws(() => new FrameDecoder().push(huge), RangeError);
});

test('isSafeRel() refuses .., empty segments and NUL from the network', () => {
  for (const bad of ['..', 'a/../b', '/abs', 'a//b', 'a/.', 'a\0b']) assert.equal(isSafeRel(bad), false, bad);
  for (const good of ['', 'a', 'a/b', '...', '\xff\n']) assert.equal(isSafeRel(good), true, good);
});

test('ChangeQueue coalesces a burst on one path and keeps the first time', () => {
  const queue = new ChangeQueue();
  for (let i = 0; i < 100; i++) queue.sync('f', i);
  assert.equal(queue.depth, 1);
  assert.equal(queue.oldest(), 0);
});

test('ChangeQueue turns a rename of an unsent file into a send under the new name', () => {
  const queue = new ChangeQueue();
  queue.sync('a', 1);
  queue.rename('a', 'b', 2);
  assert.deepEqual(queue.take(() => false), { kind: 'sync', path: 'b', since: 1 });
  assert.equal(queue.depth, 0);
});

test('ChangeQueue keeps a rename in order and moves pending sends below a renamed directory', () => {
  const queue = new ChangeQueue();
  queue.sync('x', 1);
  queue.rename('d', 'e', 2);
  queue.sync('e/f', 3);
  const taken = [queue.take(() => false), queue.take(() => false), queue.take(() => false)];
  assert.deepEqual(taken.map((w) => w?.kind), ['sync', 'rename', 'sync']);
});

test('ChangeQueue: a rescan absorbs what is below it and keeps the oldest time', () => {
  const queue = new ChangeQueue();
  queue.sync('d/a', 5);
  queue.sync('other', 6);
  queue.rescan('d', 'overflow', 9);
  queue.sync('d/b', 10);
  assert.equal(queue.depth, 2);
  assert.deepEqual(queue.take(() => false), { kind: 'sync', path: 'other', since: 6 });
  assert.deepEqual(queue.take(() => false), { kind: 'rescan', path: 'd', reason: 'overflow', since: 5 });
});

test('ChangeQueue holds back a path whose send is in flight', () => {
  const queue = new ChangeQueue();
  queue.sync('busy', 1);
  queue.sync('free', 2);
  assert.deepEqual(queue.take((p) => p === 'busy'), { kind: 'sync', path: 'free', since: 2 });
  assert.equal(queue.take((p) => p === 'busy'), undefined);
  assert.equal(queue.depth, 1);
});

test('TreeDigester: equal trees have equal digests; a change shows in its directory and every ancestor only', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'hs-digest-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  for (const side of ['a', 'b']) {
    mkdirSync(join(base, side, 'x', 'y'), { recursive: true });
    mkdirSync(join(base, side, 'z'));
    writeFileSync(join(base, side, 'x', 'y', 'f'), 'same');
    utimesSync(join(base, side, 'x', 'y', 'f'), 1000, 1000);
  }
  const a = new TreeDigester(Buffer.from(join(base, 'a')));
  const b = new TreeDigester(Buffer.from(join(base, 'b')));
  assert.deepEqual(await a.tree(''), await b.tree(''));
  writeFileSync(join(base, 'b', 'x', 'y', 'f'), 'diff'); // same size
  utimesSync(join(base, 'b', 'x', 'y', 'f'), 1000, 1000); // and same mtime: only content differs
  const ta = await a.tree('');
  const tb = await b.tree('');
  const differing = [...ta.keys()].filter((k) => !ta.get(k)!.equals(tb.get(k)!)).sort();
  assert.deepEqual(differing, ['', 'x', 'x/y']);
});
