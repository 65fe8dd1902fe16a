/**
 * `backup forget [SNAPSHOT…] --keep-…`: restic's forget, with --dry-run and --prune, under an
 * exclusive lock. JSON output is restic's (a list of groups with keep, remove and reasons).
 */
import { withLock, type SnapshotEntry } from '../../backup/index.js';
import { formatGoTime } from '../../backup/repo/go-json.js';
import { encodeSnapshot } from '../../backup/repo/snapshot.js';
import { parseGroupBy, planForget, policyEmpty, removeSnapshots } from '../../backup/verbs/forget.js';
import { tagLists, selectSnapshots } from '../../backup/verbs/select.js';
import type { KeepPolicy } from '../../backup/verbs/forget-policy.js';
import { SELECT_OPTIONS, selection, shortId, UsageError, type VerbModule } from './context.js';
import { PRUNE_OPTIONS, printPrune, pruneLimits, runPrune } from './prune.js';

const KEEP = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

const snapJson = (e: SnapshotEntry) => ({ ...(JSON.parse(encodeSnapshot(e.snapshot).toString()) as object), id: e.id, short_id: shortId(e.id) });
const plain = (e: SnapshotEntry) => JSON.parse(encodeSnapshot(e.snapshot).toString()) as object;

export const forgetVerb: VerbModule = {
  help: `  forget [SNAPSHOT…]            forget snapshots: named ones, or by policy
                                [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N]
                                [--keep-monthly N] [--keep-yearly N] [--keep-tag T]… [--group-by host,paths]
                                [--host H] [--tag T] [--path P] [--dry-run]
                                [--prune [--max-unused L] [--max-repack-size S] [--repack-cacheable-only]
                                         [--repack-small] [--repack-uncompressed]]`,
  options: {
    ...SELECT_OPTIONS,
    'keep-last': { type: 'string', short: 'l' },
    'keep-hourly': { type: 'string' },
    'keep-daily': { type: 'string', short: 'd' },
    'keep-weekly': { type: 'string', short: 'w' },
    'keep-monthly': { type: 'string', short: 'm' },
    'keep-yearly': { type: 'string', short: 'y' },
    'keep-tag': { type: 'string', multiple: true },
    'group-by': { type: 'string', short: 'g', default: 'host,paths' },
    'dry-run': { type: 'boolean', short: 'n', default: false },
    prune: { type: 'boolean', default: false },
    ...PRUNE_OPTIONS,
  },
  async run(ctx) {
    const policy: KeepPolicy = {};
    for (const k of KEEP) {
      const v = ctx.values[`keep-${k}`] as string | undefined;
      if (v === undefined) continue;
      if (!/^\d+$/.test(v)) throw new UsageError(`--keep-${k} needs a count, not '${v}'`);
      policy[k] = Number(v);
    }
    const keepTags = tagLists(ctx.values['keep-tag'] as string[] | undefined);
    if (keepTags.length) policy.tags = keepTags;
    let groupBy;
    try {
      groupBy = parseGroupBy(ctx.values['group-by'] as string);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (ctx.args.length && !policyEmpty(policy)) throw new UsageError('give either snapshot ids or a --keep policy, not both');
    const dryRun = ctx.values['dry-run'] === true;
    const limits = pruneLimits(ctx.values); // checked before anything is forgotten
    const repo = await ctx.openRepo();
    // Before anything is forgotten: what the prune would refuse (prune.ts, PruneOptionError).
    if (ctx.values.prune && limits.repackUncompressed && repo.config.version < 2) throw new UsageError('--repack-uncompressed: compression requires at least repository format version 2 (this repository is version 1)');
    const work = async () => {
      const chosen = await selectSnapshots(repo, ctx.args, selection(ctx.values));
      const text: string[] = [];
      const json: unknown[] = [];
      let toRemove: SnapshotEntry[] = [];
      if (ctx.args.length) {
        toRemove = chosen;
        text.push(...chosen.map((e) => `${dryRun ? 'would remove' : 'removed'} snapshot ${shortId(e.id)}`));
        json.push({ tags: null, host: '', paths: null, keep: null, remove: chosen.map(snapJson), reasons: null });
      } else if (policyEmpty(policy)) {
        text.push('no policy was specified, no snapshots will be removed');
      } else {
        for (const g of planForget(chosen, policy, groupBy)) {
          const d = g.decision;
          toRemove.push(...d.remove);
          json.push({
            tags: g.key.tags ?? null,
            host: g.key.host ?? '',
            paths: g.key.paths ?? null,
            keep: d.keep.map(snapJson),
            remove: d.remove.length ? d.remove.map(snapJson) : null,
            reasons: d.reasons.map((r) => ({ snapshot: plain(r.entry), matches: r.matches, counters: r.counters })),
          });
          const head = [g.key.host !== undefined ? `host [${g.key.host}]` : '', g.key.paths ? `paths [${g.key.paths.join(', ')}]` : '', g.key.tags ? `tags [${g.key.tags.join(', ')}]` : ''].filter(Boolean).join(', ');
          text.push(`snapshots for (${head}):`);
          const reason = new Map(d.reasons.map((r) => [r.entry.id, r.matches.join(', ')]));
          for (const e of d.keep) text.push(`  keep    ${shortId(e.id)}  ${formatGoTime(e.snapshot.time).slice(0, 19).replace('T', ' ')}  ${reason.get(e.id) ?? ''}`);
          for (const e of d.remove) text.push(`  ${dryRun ? 'would remove' : 'remove'}  ${shortId(e.id)}  ${formatGoTime(e.snapshot.time).slice(0, 19).replace('T', ' ')}`);
        }
      }
      if (!dryRun) await removeSnapshots(repo, toRemove);
      if (ctx.values.json) ctx.stdout.write(JSON.stringify(json) + '\n');
      else ctx.stdout.write(text.join('\n') + '\n' + `${dryRun ? 'would remove' : 'removed'} ${toRemove.length} snapshot${toRemove.length === 1 ? '' : 's'}\n`);
      if (ctx.values.prune && toRemove.length > 0) {
        const r = await runPrune(repo, dryRun, limits);
        if (!ctx.values.json) printPrune(ctx, r);
      }
    };
    await (dryRun ? work() : withLock(repo, true, work));
    return 0;
  },
};
