/**
 * A worker thread of seal-pool.ts: compresses and encrypts blobs (seal-job.ts) off the main
 * thread. workerData holds the master key; each message is { id, data, lengths } (one or more
 * blobs end to end), each answer { id, sealed, lengths, uncompressed } with the sealed blobs end
 * to end in a buffer of their own (transferred) and, per blob, the plaintext length when it was
 * compressed (else 0).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { zstd } from './compression.js';
import { Sealer, type MasterKey } from './crypto.js';
import { sealBlob, type SealedBlob } from './seal-job.js';

const { key, compress } = workerData as { key: MasterKey; compress: boolean };
const sealer = new Sealer(key);

parentPort!.on('message', (m: { id: number; data: Uint8Array; lengths: number[] }) => {
  try {
    const results: SealedBlob[] = [];
    let total = 0;
    let o = 0;
    for (const n of m.lengths) {
      const r = sealBlob(sealer, m.data.subarray(o, o + n), compress ? zstd : undefined);
      o += n;
      total += r.sealed.length;
      results.push(r);
    }
    // One sealed blob that has a buffer of its own (a large one) is sent as it is: a copy of a
    // blob of up to 8 MiB would be as large again.
    const only = results.length === 1 ? results[0]!.sealed : undefined;
    const own = only !== undefined && only.byteOffset === 0 && only.buffer.byteLength === only.length;
    const out = own ? new Uint8Array(only.buffer as ArrayBuffer) : Buffer.allocUnsafeSlow(total); // every byte is copied over
    let w = 0;
    for (const r of own ? [] : results) {
      out.set(r.sealed, w);
      w += r.sealed.length;
    }
    const lengths = results.map((r) => r.sealed.length);
    const uncompressed = results.map((r) => r.uncompressedLength ?? 0);
    parentPort!.postMessage({ id: m.id, sealed: out, lengths, uncompressed }, [out.buffer]);
  } catch (err) {
    parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
