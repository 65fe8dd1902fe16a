/**
 * The suite: which row families exist, running the selected ones, and writing the report
 * (JSON, and Markdown beside it). Entry points: index.ts (all rows), failover.ts (rows 1 and 2).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { keepalivedUnavailableReason, labUnavailableReason, nativeAddonUnavailableReason, tcpdumpUnavailableReason } from '../src/lab/index.js';
import { packageRoot } from '../src/lab/environment.js';
import { machineInfo, HostLoadWindow } from './lib/machine.js';
import { snapshotBuild, type CodeSnapshot } from './lib/snapshot.js';
import { KNOWN_ROWS, type BenchOptions } from './lib/options.js';
import { goalMark, reportMarkdown, rowMarkdown, type BenchReport } from './lib/report.js';
import { errorText, type BenchContext, type RowFamily, type RowResult } from './lib/row.js';
import { runChaosRow } from './rows/chaos.js';
import { runFileReplicationRow } from './rows/file-replication.js';
import { runFailoverRows } from './rows/failover-gaps.js';
import { runScaleRow } from './rows/scale.js';
import { runServiceDeathRow } from './rows/service-death.js';
import { runStabilityRow } from './rows/stability.js';
import { runTakeoverOverheadRow } from './rows/takeover-overhead.js';

export const ROW_FAMILIES: readonly RowFamily[] = [
  { ids: ['1', '2'], name: 'failover gaps', run: runFailoverRows },
  { ids: ['3'], name: 'service death', run: (ctx) => runServiceDeathRow(ctx) },
  { ids: ['4'], name: 'takeover overhead', run: (ctx) => runTakeoverOverheadRow(ctx) },
  { ids: ['5'], name: 'scale', run: (ctx) => runScaleRow(ctx) },
  { ids: ['6'], name: 'stability', run: (ctx) => runStabilityRow(ctx) },
  { ids: ['7'], name: 'chaos soak', run: (ctx) => runChaosRow(ctx) },
  { ids: ['file-replication'], name: 'file replication', run: (ctx) => runFileReplicationRow(ctx) },
];

function unavailableReason(): string | undefined {
  return labUnavailableReason() ?? keepalivedUnavailableReason() ?? tcpdumpUnavailableReason() ?? nativeAddonUnavailableReason();
}

/** Runs the selected rows and writes the report; returns the process exit status. */
export async function runBench(options: BenchOptions): Promise<number> {
  const reason = unavailableReason();
  if (reason) {
    console.error(`bench: cannot run here: ${reason}`);
    return 77;
  }
  const wanted = options.only ?? [...KNOWN_ROWS];
  const snapshot = snapshotBuild(packageRoot());
  process.on('exit', snapshot.remove);
  try {
    return await runRows(options, wanted, snapshot);
  } finally {
    snapshot.remove();
    process.off('exit', snapshot.remove);
  }
}

async function runRows(options: BenchOptions, wanted: readonly string[], snapshot: CodeSnapshot): Promise<number> {
  const ctx: BenchContext = {
    mode: options.mode,
    reps: options.reps,
    seed: options.seed,
    hotstandbyRoot: snapshot.root,
    log: (line) => console.error(line),
  };
  const startedAt = new Date();
  const load = new HostLoadWindow();
  const rows: RowResult[] = [];
  const failures: string[] = [];
  console.error(`bench: mode ${options.mode}, rows ${wanted.join(', ')}, seed ${options.seed}; hotstandby ${snapshot.commit} copied to ${snapshot.root}`);
  for (const family of ROW_FAMILIES) {
    const ids = family.ids.filter((id) => wanted.includes(id));
    if (ids.length === 0) continue;
    const began = Date.now();
    console.error(`bench: ${family.name} (row ${ids.join(', ')})`);
    try {
      for (const row of await family.run(ctx, ids)) {
        rows.push(row);
        console.log(`\n${rowMarkdown(row)}\n`);
      }
    } catch (error) {
      failures.push(`${family.name}: ${errorText(error)}`);
      console.error(`bench: ${family.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    console.error(`bench: ${family.name} took ${((Date.now() - began) / 1000).toFixed(0)} s`);
  }
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: options.mode,
    seed: options.seed,
    reps: options.reps,
    machine: machineInfo(),
    code: { commit: snapshot.commit, uncommittedSourceFiles: snapshot.uncommittedSourceFiles, takenAt: snapshot.takenAt },
    load: load.stop(),
    rows,
    failures,
  };
  const markdown = reportMarkdown(report);
  await mkdir(dirname(options.jsonPath), { recursive: true });
  await writeFile(options.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const markdownPath = options.jsonPath.replace(/\.json$/, '') + '.md';
  await writeFile(markdownPath, markdown);
  console.log('\nGoals:');
  for (const goal of rows.flatMap((r) => r.goals)) {
    console.log(`  [${goalMark(goal).padEnd(6)}] row ${goal.row}: ${goal.what}: ${goal.measured} (target ${goal.target})`);
  }
  const errors = rows.flatMap((r) => r.errors.map((e) => `row ${r.id}: ${e}`)).concat(failures);
  if (errors.length > 0) {
    console.log(`\n${errors.length} error(s):`);
    for (const error of errors) console.log(`  ${error}`);
  }
  console.log(`\nWrote ${options.jsonPath} and ${markdownPath} (${((Date.now() - startedAt.getTime()) / 60_000).toFixed(1)} min).`);
  return errors.length > 0 ? 1 : 0;
}

