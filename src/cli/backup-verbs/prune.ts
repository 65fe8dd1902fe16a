/** `backup prune [--dry-run]`: removes unreferenced data under an exclusive lock. */
import { acquireLock, type Repository } from '../../backup/index.js';
import { prune, type PruneResult } from '../../backup/verbs/prune.js';
import { UsageError, type VerbContext, type VerbModule } from './context.js';

export async function runPrune(repo: Repository, dryRun: boolean): Promise<PruneResult> {
  return prune(repo, { dryRun });
}

export function printPrune(ctx: VerbContext, r: PruneResult): void {
  const mib = (n: number) => (n / 2 ** 20).toFixed(3);
  ctx.print(
    { message_type: 'summary', ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), v])) },
    [
      `used blobs:          ${r.blobsUsed}`,
      `unused blobs:        ${r.blobsRemoved}`,
      `packs kept:          ${r.packsKept}`,
      `packs ${r.dryRun ? 'to delete' : 'deleted'}:       ${r.packsDeleted}`,
      `packs ${r.dryRun ? 'to repack' : 'repacked'}:      ${r.packsRepacked} (into ${r.packsWritten} new)`,
      `unreferenced packs:  ${r.packsUnreferenced}`,
      `${r.dryRun ? 'would free' : 'freed'}:          ${mib(r.bytesRemoved)} MiB`,
      r.dryRun ? 'dry run: nothing was changed' : `index rewritten: ${r.indexFilesWritten} file(s) written, ${r.indexFilesRemoved} removed`,
    ].join('\n'),
  );
}

export const pruneVerb: VerbModule = {
  help: `  prune                         remove data no snapshot uses [--dry-run]`,
  options: { 'dry-run': { type: 'boolean', short: 'n', default: false } },
  async run(ctx) {
    if (ctx.args.length) throw new UsageError('prune takes no arguments');
    const repo = await ctx.openRepo();
    const dryRun = ctx.values['dry-run'] === true;
    const release = await acquireLock(repo, !dryRun);
    try {
      printPrune(ctx, await runPrune(repo, dryRun));
    } finally {
      await release();
    }
    return 0;
  },
};
