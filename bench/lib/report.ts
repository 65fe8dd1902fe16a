/** The benchmark's report: Markdown (printed and written beside the JSON) and the JSON itself. */
import { describeLoad, type HostLoad, type MachineInfo } from './machine.js';
import type { Goal, Mode, RowResult } from './row.js';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  mode: Mode;
  seed: number;
  reps: number | undefined;
  machine: MachineInfo;
  /** The hotstandby build measured: a copy taken at the start (see snapshot.ts). */
  code: { commit: string; uncommittedSourceFiles: number; takenAt: string };
  /** The whole run. */
  load: HostLoad;
  rows: RowResult[];
  /** Row families that failed outright (setup errors). */
  failures: string[];
}

export function goalMark(goal: Goal): string {
  return goal.met === null ? 'n/a' : goal.met ? 'met' : 'MISSED';
}

export function machineMarkdown(report: BenchReport): string {
  const m = report.machine;
  return [
    `- CPU: ${m.cpuModel}, ${m.cores} cores; memory ${m.memoryMb} MB`,
    `- Kernel ${m.kernel}, Node ${m.node}, ${m.keepalived}`,
    `- hotstandby: commit ${report.code.commit}${report.code.uncommittedSourceFiles > 0 ? ` plus uncommitted changes in ${report.code.uncommittedSourceFiles} file(s) under src/ and native/` : ''}, build copied at ${report.code.takenAt}`,
    `- Run: ${report.startedAt} → ${report.finishedAt}, mode ${report.mode}, seed ${report.seed}${report.reps !== undefined ? `, reps ${report.reps}` : ''}`,
    `- Machine during the run: ${describeLoad(report.load)}`,
  ].join('\n');
}

export function goalsMarkdown(rows: readonly RowResult[]): string {
  const lines = ['| row | goal | target | measured | |', '|---|---|---|---|---|'];
  for (const goal of rows.flatMap((r) => r.goals)) {
    lines.push(`| ${goal.row} | ${goal.what} | ${goal.target} | ${goal.measured} | ${goalMark(goal)} |`);
  }
  return lines.join('\n');
}

export function rowMarkdown(row: RowResult): string {
  const parts = [`### ${row.id}. ${row.title}`, '', row.table, '', ...row.notes.map((n) => `${n}`), '', `Machine during this row: ${describeLoad(row.load)}.`];
  if (row.errors.length > 0) parts.push('', 'Failed runs:', ...row.errors.map((e) => `- ${e}`));
  return parts.join('\n');
}

export function reportMarkdown(report: BenchReport): string {
  const parts = ['## Machine', '', machineMarkdown(report), '', '## Goals', '', goalsMarkdown(report.rows), ''];
  parts.push('## Results', '');
  for (const row of [...report.rows].sort((a, b) => Number(a.id) - Number(b.id))) parts.push(rowMarkdown(row), '');
  if (report.failures.length > 0) parts.push('## Failures', '', ...report.failures.map((f) => `- ${f}`), '');
  return parts.join('\n');
}
