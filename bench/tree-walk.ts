/**
 * One side's walk of a tree for its digests (src/replicate/tree-digest.ts), alone in a process:
 * what a rescan after a restart costs each node, without the other side or the link. `cold`: the
 * content-hash cache is empty (every file read and hashed, as on a backup's first restart after
 * a copy); `warm`: the cache holds every file (an unchanged tree, metadata only). Rounds alternate
 * with another build's dist (`--base-dist`), so a loaded machine loads both alike. Prints a JSON
 * line per walk and a summary (medians and ranges of wall and CPU seconds).
 *
 *   node dist/bench/tree-walk.js [--files 100000] [--rounds 3] [--base-dist DIR] [--base /tmp]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './stats.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/** In the child: one walk (cold: a fresh in-memory cache; warm: a walk first, then the measured one). */
async function walkOnce(dist: string, root: string, mode: string): Promise<void> {
  const { TreeDigester } = (await import(pathToFileURL(join(dist, 'src/replicate/tree-digest.js')).href)) as typeof import('../src/replicate/tree-digest.js');
  const { ContentCache } = (await import(pathToFileURL(join(dist, 'src/replicate/content-cache.js')).href)) as typeof import('../src/replicate/content-cache.js');
  const { loadNative } = (await import(pathToFileURL(join(dist, 'src/net/native.js')).href)) as typeof import('../src/net/native.js');
  const native = loadNative() as ReturnType<typeof loadNative> & { hashFiles?: (d: Buffer, n: Buffer, l: number) => Promise<Buffer> };
  const digester = new TreeDigester(Buffer.from(root), {
    cache: ContentCache.inMemory(),
    scanDirectory: native.scanDirectory?.bind(native),
    readSmallFile: native.readSmallFile?.bind(native),
    hashFiles: native.hashFiles?.bind(native),
  });
  if (mode === 'warm') await digester.tree('');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const digests = await digester.tree('');
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ wall_s: wall, cpu_s: (cpu.user + cpu.system) / 1e6, root: digests.get('')!.toString('hex').slice(0, 16) }));
}

async function main(): Promise<void> {
  const child = option('child-dist', '');
  if (child !== '') return walkOnce(child, option('root', ''), option('mode', 'cold'));
  const files = Number(option('files', '100000'));
  const rounds = Number(option('rounds', '3'));
  const builds: Record<string, string> = { now: fileURLToPath(new URL('..', import.meta.url)) };
  const baseDist = option('base-dist', '');
  if (baseDist !== '') builds.base = baseDist;
  const base = mkdtempSync(join(option('base', tmpdir()), 'hs-bench-walk-'));
  try {
    const root = join(base, 'tree');
    const payload = Buffer.alloc(200, 0x62);
    for (let d = 0; d * 1000 < files; d++) {
      mkdirSync(join(root, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000 && d * 1000 + i < files; i++) writeFileSync(join(root, `d${d}`, `f${i}`), payload);
    }
    // Old enough for the cache to keep (content-cache.ts: RACY_NS).
    await new Promise((r) => setTimeout(r, 2500));
    const results: { build: string; mode: string; wall_s: number; cpu_s: number; root: string; load1: number }[] = [];
    const names = Object.keys(builds);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const mode of ['cold', 'warm'])
        for (const build of order) {
          const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child-dist', builds[build]!, '--root', root, '--mode', mode], { encoding: 'utf8' });
          if (out.status !== 0) throw new Error(`${build} ${mode}: ${out.stderr}`);
          const line = { build, mode, ...(JSON.parse(out.stdout.trim().split('\n').pop()!) as { wall_s: number; cpu_s: number; root: string }), load1: loadavg()[0]! };
          results.push(line);
          console.log(JSON.stringify({ round, ...line }));
        }
    }
    const summary: Record<string, unknown> = {};
    for (const build of names)
      for (const mode of ['cold', 'warm']) {
        const mine = results.filter((r) => r.build === build && r.mode === mode);
        const range = (k: 'wall_s' | 'cpu_s') => [Math.min(...mine.map((r) => r[k])), Math.max(...mine.map((r) => r[k]))].map((v) => Number(v.toFixed(2)));
        summary[`${build}_${mode}`] = { wall_s_median: Number(median(mine.map((r) => r.wall_s)).toFixed(2)), wall_s_range: range('wall_s'), cpu_s_median: Number(median(mine.map((r) => r.cpu_s)).toFixed(2)), cpu_s_range: range('cpu_s') };
      }
    console.log(JSON.stringify({ files, rounds, summary, load1_range: [Math.min(...results.map((r) => r.load1)), Math.max(...results.map((r) => r.load1))] }));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
