/**
 * `backup check [--read-data | --read-data-subset n/t|x%|SIZE]`: restic's check; exit 1 when
 * anything is wrong, naming the damaged packs and the snapshots and files they cost.
 */
import { withLock } from '../../backup/index.js';
import { check, parseSubset } from '../../backup/verbs/check.js';
import { startProgress } from './progress.js';
import { shortId, UsageError, type VerbModule } from './context.js';

export const checkVerb: VerbModule = {
  help: `  check                         verify the repository [--read-data] [--read-data-subset n/t|x%|SIZE]`,
  options: { 'read-data': { type: 'boolean', default: false }, 'read-data-subset': { type: 'string' } },
  async run(ctx) {
    if (ctx.args.length) throw new UsageError('check takes no arguments');
    let subset;
    try {
      const text = ctx.values['read-data-subset'] as string | undefined;
      subset = text === undefined ? undefined : parseSubset(text);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const repo = await ctx.openRepo();
    const r = await withLock(repo, true, async () => {
      const progress = startProgress(ctx.stderr, 'packs');
      try {
        return await check(repo, { readData: ctx.values['read-data'] === true, ...(subset ? { subset } : {}), onProgress: (done, total) => progress.update(done, total) });
      } finally {
        progress.stop();
      }
    });
    const ok = r.errors.length === 0;
    const text = [
      `checked ${r.packsChecked} packs, ${r.snapshotsChecked} snapshots${r.packsRead ? `; read ${r.packsRead} packs (${r.bytesRead} bytes)` : ''}`,
      ...r.hints.map((h) => `hint: ${h}`),
      ...r.errors.map((e) => `error: ${e}`),
      ...(r.damagedPacks.length ? [`damaged packs: ${r.damagedPacks.map(shortId).join(', ')}`] : []),
      ...r.affected.flatMap((a) => [`snapshot ${shortId(a.snapshot)} is damaged; these files cannot be restored whole:`, ...a.paths.map((p) => `  ${p}`)]),
      ok ? 'no errors were found' : 'Fatal: repository contains errors',
    ];
    ctx.print(
      {
        message_type: 'summary',
        ok,
        errors: r.errors,
        hints: r.hints,
        packs_checked: r.packsChecked,
        packs_read: r.packsRead,
        bytes_read: r.bytesRead,
        snapshots_checked: r.snapshotsChecked,
        damaged_packs: r.damagedPacks,
        damaged_snapshots: r.affected.map((a) => ({ snapshot: a.snapshot, paths: a.paths })),
      },
      text.join('\n'),
    );
    return ok ? 0 : 1;
  },
};
