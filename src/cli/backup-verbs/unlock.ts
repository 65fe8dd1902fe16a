/** `backup unlock [--remove-all]`: removes stale locks, or all of them. */
import { unlock } from '../../backup/verbs/unlock.js';
import { UsageError, type VerbModule } from './context.js';

export const unlockVerb: VerbModule = {
  help: `  unlock                        remove stale locks [--remove-all: every lock]`,
  options: { 'remove-all': { type: 'boolean', default: false } },
  async run(ctx) {
    if (ctx.args.length) throw new UsageError('unlock takes no arguments');
    const repo = await ctx.openRepo();
    const r = await unlock(repo, ctx.values['remove-all'] === true);
    ctx.print(
      { message_type: 'summary', removed: r.removed, kept: r.kept },
      `removed ${r.removed.length} lock${r.removed.length === 1 ? '' : 's'}` + (r.kept.length ? `; ${r.kept.length} lock(s) held by running processes kept (--remove-all removes them too)` : ''),
    );
    return 0;
  },
};
