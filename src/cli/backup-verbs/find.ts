/** `backup find PATTERN…`: entries matching restic's patterns, per snapshot (restic's output). */
import { formatGoTime } from '../../backup/repo/go-json.js';
import { findInSnapshot } from '../../backup/verbs/find.js';
import { selectSnapshots } from '../../backup/verbs/select.js';
import { SELECT_OPTIONS, selection, shortId, UsageError, type VerbModule } from './context.js';
import { nodeJson } from './node-json.js';

export const findVerb: VerbModule = {
  help: `  find PATTERN…                 entries matching restic's patterns ("*.conf", "/etc/**/x")
                                [-s SNAPSHOT]… [-i] [--host H] [--tag T] [--path P]`,
  options: { ...SELECT_OPTIONS, snapshot: { type: 'string', short: 's', multiple: true }, 'ignore-case': { type: 'boolean', short: 'i', default: false } },
  async run(ctx) {
    if (!ctx.args.length) throw new UsageError('find needs at least one pattern');
    const repo = await ctx.openRepo();
    await repo.loadIndex();
    const snaps = await selectSnapshots(repo, (ctx.values.snapshot as string[] | undefined) ?? [], selection(ctx.values));
    const results: unknown[] = [];
    let hits = 0;
    for (const s of [...snaps].reverse()) {
      const matches: unknown[] = [];
      let header = false;
      for await (const { path, node } of findInSnapshot(repo, s, ctx.args, { ignoreCase: ctx.values['ignore-case'] === true })) {
        hits++;
        if (ctx.values.json) {
          const { name: _n, struct_type: _s, ...rest } = nodeJson(path, node);
          matches.push(rest);
        } else {
          if (!header) ctx.stdout.write(`Found matching entries in snapshot ${shortId(s.id)} from ${formatGoTime(s.snapshot.time).slice(0, 19).replace('T', ' ')}\n`);
          header = true;
          ctx.stdout.write(`${path}\n`);
        }
      }
      if (ctx.values.json && matches.length) results.push({ matches, hits: matches.length, snapshot: s.id });
      if (header) ctx.stdout.write('\n');
    }
    if (ctx.values.json) ctx.stdout.write(JSON.stringify(results) + '\n');
    return 0;
  },
};
