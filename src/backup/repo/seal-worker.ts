/**
 * A worker thread of seal-pool.ts: compresses and encrypts blobs (seal-job.ts) off the main
 * thread. workerData holds the master key; each message is { id, data }, each answer { id,
 * sealed, uncompressedLength } with the sealed bytes in a buffer of their own (transferred).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { zstd } from './compression.js';
import type { MasterKey } from './crypto.js';
import { sealBlob } from './seal-job.js';

const { key, compress } = workerData as { key: MasterKey; compress: boolean };

parentPort!.on('message', (m: { id: number; data: Uint8Array }) => {
  try {
    const r = sealBlob(key, m.data, compress ? zstd : undefined);
    const out = new Uint8Array(r.sealed.length);
    out.set(r.sealed);
    parentPort!.postMessage({ id: m.id, sealed: out, uncompressedLength: r.uncompressedLength }, [out.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
