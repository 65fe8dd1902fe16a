/**
 * The data sets of the `backup` bench row, generated into a directory (generation is not
 * measured), deterministic for a seed:
 * - mixed: a source tree (text files of identifiers and keywords: compressible, many small files),
 *   binaries (copies of the machine's own ELF files and shared libraries: partly compressible) and
 *   random data (incompressible files of 1 to 64 MiB);
 * - small: many small text-like files (200 B to 4 KiB) in directories of 1,000.
 * changePercent() rewrites a share of the files (a few bytes changed), as between two backups.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** A small deterministic PRNG (xorshift32). */
export class Rng {
  constructor(private state: number) {
    if (this.state === 0) this.state = 0x9e3779b9;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x100000000;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}

const WORDS = 'const let function return if else for while import export from class interface type extends implements new this await async throw try catch finally switch case break continue default null undefined true false string number boolean void public private static readonly buffer length offset index value result error config options state handler request response stream chunk packet header payload repository snapshot tree blob pack'.split(' ');

/** Incompressible bytes: an AES-256-CTR key stream keyed by the seed. */
function randomBytesFrom(seed: string, n: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

function sourceText(rng: Rng, bytes: number): string {
  const lines: string[] = [];
  let n = 0;
  while (n < bytes) {
    const indent = '  '.repeat(rng.int(0, 4));
    const words = Array.from({ length: rng.int(2, 12) }, () => WORDS[rng.int(0, WORDS.length - 1)]!);
    const line = `${indent}${words.join(' ')}${rng.next() < 0.5 ? ';' : ' {'} // ${rng.int(0, 1e6)}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

/** The machine's binaries and libraries, largest first, up to `bytes` in all. */
function binaries(bytes: number): string[] {
  const out: string[] = [];
  let total = 0;
  for (const dir of ['/usr/bin', '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/sbin', '/usr/lib/postgresql/15/bin']) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const p = join(dir, name);
      try {
        const st = statSync(p);
        if (!st.isFile() || st.size < 4096 || st.size > 64 * 1024 * 1024) continue;
        if (total + st.size > bytes) continue;
        out.push(p);
        total += st.size;
      } catch {
        // unreadable: skip
      }
    }
  }
  return out;
}

export interface DataSet {
  root: string;
  files: string[];
  bytes: number;
}

export function makeMixed(root: string, totalBytes: number, seed: number): DataSet {
  const rng = new Rng(seed);
  const files: string[] = [];
  let bytes = 0;
  const put = (rel: string, data: Buffer | string) => {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, data);
    files.push(rel);
    bytes += Buffer.byteLength(data);
  };
  // 20 %: a source tree of files from 500 B to 40 KiB.
  for (let i = 0; bytes < totalBytes * 0.2; i++) put(`src/m${i % 40}/d${i % 7}/file${i}.ts`, sourceText(rng, rng.int(500, 40_000)));
  // 30 %: binaries.
  for (const [i, p] of binaries(totalBytes * 0.3).entries()) put(`bin/${i}-${p.split('/').pop()}`, readFileSync(p));
  // The rest: random files of 1 to 64 MiB.
  for (let i = 0; bytes < totalBytes; i++) put(`random/r${i}.bin`, randomBytesFrom(`${seed}:r${i}`, Math.min(rng.int(1, 64) << 20, Math.max(4096, totalBytes - bytes))));
  return { root, files, bytes };
}

export function makeSmall(root: string, count: number, seed: number): DataSet {
  const rng = new Rng(seed);
  const files: string[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const dir = `d${Math.floor(i / 1000)}`;
    if (i % 1000 === 0) mkdirSync(join(root, dir), { recursive: true });
    const rel = `${dir}/f${i}.txt`;
    const text = sourceText(rng, rng.int(200, 4000));
    const fd = openSync(join(root, rel), 'w');
    writeSync(fd, text);
    closeSync(fd);
    files.push(rel);
    bytes += text.length;
  }
  return { root, files, bytes };
}

/** Changes `percent` % of the files (every n-th): a few bytes overwritten in place, so a new mtime. */
export function changePercent(set: DataSet, percent: number, seed: number): number {
  const step = Math.max(1, Math.round(100 / percent));
  let changed = 0;
  for (let i = seed % step; i < set.files.length; i += step) {
    const p = join(set.root, set.files[i]!);
    const fd = openSync(p, 'r+');
    writeSync(fd, `changed ${seed} ${i}\n`, 0);
    closeSync(fd);
    changed++;
  }
  return changed;
}
