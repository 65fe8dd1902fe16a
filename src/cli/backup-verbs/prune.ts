/**
 * `backup prune [--dry-run] [--max-unused LIMIT] [--max-repack-size SIZE] [--repack-cacheable-only]
 * [--repack-small] [--repack-uncompressed] [--unsafe-recover-no-free-space ID]`: removes unreferenced data under an exclusive lock,
 * with restic 0.14's limits and choices (src/backup/verbs/prune-limits.ts, prune.ts).
 */
import { withLock, type Repository } from '../../backup/index.js';
import { prune, PruneOptionError, type PruneResult } from '../../backup/verbs/prune.js';
import { DEFAULT_MAX_UNUSED, parseMaxUnused, parseSize } from '../../backup/verbs/prune-limits.js';
import { UsageError, type VerbContext, type VerbModule } from './context.js';

export interface PruneLimits {
  maxUnused?: string;
  maxRepackSize?: number;
  repackCacheableOnly?: boolean;
  repackSmall?: boolean;
  repackUncompressed?: boolean;
}

export const PRUNE_OPTIONS = {
  'max-unused': { type: 'string', default: DEFAULT_MAX_UNUSED },
  'max-repack-size': { type: 'string' },
  'repack-cacheable-only': { type: 'boolean', default: false },
  'repack-small': { type: 'boolean', default: false },
  'repack-uncompressed': { type: 'boolean', default: false },
} as const;

/** The limits given on the command line, checked (a usage error names the bad one). */
export function pruneLimits(values: Record<string, unknown>): PruneLimits {
  const out: PruneLimits = {};
  try {
    const maxUnused = values['max-unused'] as string | undefined;
    if (maxUnused !== undefined) {
      parseMaxUnused(maxUnused);
      out.maxUnused = maxUnused;
    }
    const size = values['max-repack-size'] as string | undefined;
    if (size !== undefined) out.maxRepackSize = parseSize(size, 'max-repack-size');
  } catch (err) {
    throw new UsageError(`--${(err as Error).message}`);
  }
  if (values['repack-cacheable-only'] === true) out.repackCacheableOnly = true;
  if (values['repack-small'] === true) out.repackSmall = true;
  if (values['repack-uncompressed'] === true) out.repackUncompressed = true;
  return out;
}

export async function runPrune(repo: Repository, dryRun: boolean, limits: PruneLimits = {}, unsafeRecoverNoFreeSpace?: string): Promise<PruneResult> {
  try {
    return await prune(repo, { dryRun, ...limits, ...(unsafeRecoverNoFreeSpace !== undefined ? { unsafeRecoverNoFreeSpace } : {}) });
  } catch (err) {
    if (err instanceof PruneOptionError) throw new UsageError(err.message);
    throw err;
  }
}

export function printPrune(ctx: VerbContext, r: PruneResult): void {
  const mib = (n: number) => (n / 2 ** 20).toFixed(3);
  ctx.print(
    { message_type: 'summary', ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()), v])) },
    [
      `used blobs:          ${r.blobsUsed}`,
      `unused blobs:        ${r.blobsRemoved}`,
      ...(r.blobsDuplicate ? [`duplicate blobs:     ${r.blobsDuplicate} (${mib(r.bytesDuplicate)} MiB stored more than once)`] : []),
      `packs kept:          ${r.packsKept}`,
      `packs ${r.dryRun ? 'to delete' : 'deleted'}:       ${r.packsDeleted}`,
      `packs ${r.dryRun ? 'to repack' : 'repacked'}:      ${r.packsRepacked} (into ${r.packsWritten} new)`,
      `unreferenced packs:  ${r.packsUnreferenced}`,
      ...(r.blobsCompressed ? [`blobs compressed:    ${r.blobsCompressed} (stored uncompressed before)`] : []),
      `partly used kept:    ${r.packsPartlyUsedKept} (unused after prune: ${mib(r.bytesUnusedAfter)} MiB, ${r.bytesUsed + r.bytesUnusedAfter > 0 ? ((100 * r.bytesUnusedAfter) / (r.bytesUsed + r.bytesUnusedAfter)).toFixed(2) : '0.00'}% of what remains)`,
      `leftover temp files: ${r.tempFilesRemoved} ${r.dryRun ? 'to remove' : 'removed'} (${mib(r.tempBytesRemoved)} MiB)${r.tempFilesKept ? `, ${r.tempFilesKept} kept: written to in the last 30 minutes` : ''}`,
      `${r.dryRun ? 'would free' : 'freed'}:          ${mib(r.bytesRemoved + r.tempBytesRemoved)} MiB`,
      r.dryRun ? 'dry run: nothing was changed' : `index rewritten: ${r.indexFilesWritten} file(s) written, ${r.indexFilesRemoved} removed`,
    ].join('\n'),
  );
}

export const pruneVerb: VerbModule = {
  help: `  prune                         remove data no snapshot uses [--dry-run]
                                [--max-unused 5%|SIZE|unlimited] [--max-repack-size SIZE]
                                [--repack-cacheable-only] [--repack-small] [--repack-uncompressed]
                                [--unsafe-recover-no-free-space REPOSITORY-ID] (UNSAFE: a full
                                disk only, read docs/backups.md first)`,
  options: { 'dry-run': { type: 'boolean', short: 'n', default: false }, ...PRUNE_OPTIONS, 'unsafe-recover-no-free-space': { type: 'string' } },
  async run(ctx) {
    if (ctx.args.length) throw new UsageError('prune takes no arguments');
    const repo = await ctx.openRepo();
    const dryRun = ctx.values['dry-run'] === true;
    const limits = pruneLimits(ctx.values);
    const unsafe = ctx.values['unsafe-recover-no-free-space'] as string | undefined;
    if (unsafe !== undefined && limits.maxRepackSize !== undefined) throw new UsageError('--unsafe-recover-no-free-space repacks nothing: leave out --max-repack-size');
    printPrune(ctx, await withLock(repo, !dryRun, () => runPrune(repo, dryRun, limits, unsafe)));
    return 0;
  },
};
