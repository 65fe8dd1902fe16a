import assert from 'node:assert/strict';
import { test } from 'node:test';
import { largeFileLinkNote, largeFileOffloads } from '../../bench/lib/large-file-link.js';

test('largeFileOffloads() keeps offloads unless BENCH_OFFLOADS=0', () => {
  assert.equal(largeFileOffloads({}), true);
  assert.equal(largeFileOffloads({ BENCH_OFFLOADS: '1' }), true);
  assert.equal(largeFileOffloads({ BENCH_OFFLOADS: '0' }), false);
});

test('largeFileLinkNote() names the link the large-file runs used', () => {
  assert.match(largeFileLinkNote(true), /segmentation offload kept/);
  assert.match(largeFileLinkNote(false), /one 1,514-byte segment per frame/);
});
