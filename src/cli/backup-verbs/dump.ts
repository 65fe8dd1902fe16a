/**
 * `backup dump SNAPSHOT PATH`: a file's bytes, or a directory as a pax tar archive, on stdout.
 * stdout carries the data, so --json reports the summary (or the error) as JSON on stderr.
 */
import { dump } from '../../backup/verbs/dump.js';
import { selectSnapshots } from '../../backup/verbs/select.js';
import { SELECT_OPTIONS, selection, shortId, UsageError, type VerbModule } from './context.js';

export const dumpVerb: VerbModule = {
  help: `  dump SNAPSHOT PATH            a file to stdout; a directory as a tar archive (pax)`,
  options: { ...SELECT_OPTIONS },
  async run(ctx) {
    if (ctx.args.length !== 2) throw new UsageError('dump needs a snapshot (an id, a prefix or latest) and a path in it');
    if (process.stdout.isTTY) throw new UsageError('dump writes binary data: redirect stdout to a file or a pipe');
    const repo = await ctx.openRepo();
    const [name, path] = ctx.args as [string, string];
    const snap = (await selectSnapshots(repo, [name], selection(ctx.values)))[0]!;
    const r = await dump(repo, snap.snapshot.tree, path, ctx.stdout);
    if (ctx.values.json) ctx.stderr.write(JSON.stringify({ message_type: 'summary', snapshot_id: snap.id, path, kind: r.kind, entries: r.entries, bytes: r.bytes }) + '\n');
    else if (ctx.stderr.isTTY) ctx.stderr.write(`dumped ${path} from snapshot ${shortId(snap.id)}: ${r.kind === 'tar' ? `${r.entries} entries, ` : ''}${r.bytes} bytes\n`);
    return 0;
  },
};
