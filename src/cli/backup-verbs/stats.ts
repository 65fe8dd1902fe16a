/** `backup stats [SNAPSHOT…]`: restore size or raw data of the snapshots (restic's output). */
import { stats, type StatsMode } from '../../backup/verbs/stats.js';
import { selectSnapshots } from '../../backup/verbs/select.js';
import { humanBytes } from './progress.js';
import { SELECT_OPTIONS, selection, UsageError, type VerbModule } from './context.js';

const bytes = (n: number) => humanBytes(n, 3);

export const statsVerb: VerbModule = {
  help: `  stats [SNAPSHOT…]             sizes: --mode restore-size (default) or raw-data`,
  options: { ...SELECT_OPTIONS, mode: { type: 'string', default: 'restore-size' } },
  async run(ctx) {
    const mode = ctx.values.mode as string;
    if (mode !== 'restore-size' && mode !== 'raw-data') throw new UsageError(`unknown --mode '${mode}' (restore-size or raw-data)`);
    const repo = await ctx.openRepo();
    const snaps = await selectSnapshots(repo, ctx.args, selection(ctx.values));
    const s = await stats(repo, snaps, mode as StatsMode);
    const lines = [`Stats in ${mode} mode:`, `     Snapshots processed:  ${s.snapshots_count}`];
    if (mode === 'restore-size') lines.push(`        Total File Count:  ${s.total_file_count}`);
    else lines.push(`        Total Blob Count:  ${s.total_blob_count}`);
    lines.push(`              Total Size:  ${bytes(s.total_size)}`);
    ctx.print(s, lines.join('\n'));
    return 0;
  },
};
