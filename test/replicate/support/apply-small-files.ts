/**
 * A replica applying small files, as its own process so that strace can count its syscalls
 * (test/replicate/syscalls-per-file.test.ts). An exported function, not a script (see
 * src/lab/node-entry.ts).
 *
 * `native`: the addon's two jobs directly, in a fixed shape: `count` files written with
 * writeNewFile, then one syncDataBatch of all of them with their renames and directory (one group
 * commit). `applier`: ReplicaApplier.putWhole of `count` files, all at once (its group commit
 * forms the batches; one file first, so the parent directory's check is made once).
 */
import { loadNative } from '../../../src/net/native.js';
import { ReplicaApplier } from '../../../src/replicate/replica-applier.js';

export interface ApplyConfig {
  root: string;
  count: number;
  how: 'native' | 'applier';
}

export async function applySmallFiles(config: ApplyConfig): Promise<void> {
  // The usual daemon umask: a stricter one (077) would clear bits of 0644, and the fchmod that
  // then follows is right but is not what is counted here.
  process.umask(0o022);
  const native = loadNative();
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const data = Buffer.alloc(200, 0x61);
  if (config.how === 'native') {
    const fds: number[] = [];
    const renames: [Buffer, Buffer][] = [];
    for (let i = 0; i < config.count; i++) {
      const temp = Buffer.from(`${config.root}/.hotstandby-t${i}`);
      fds.push(await native.writeNewFile(temp, data, 0o644, uid === 0 ? uid : -1, gid, 1_700_000_000, 123_456_789));
      renames.push([temp, Buffer.from(`${config.root}/f${i}`)]);
    }
    const errors = await native.syncDataBatch(
      fds,
      fds.map(() => true),
      renames,
      fds.map(() => Buffer.from(config.root)),
    );
    const failed = errors.filter((e) => e !== null);
    if (failed.length > 0) throw new Error(`syncDataBatch failed: ${failed.join(', ')}`);
  } else {
    const applier = new ReplicaApplier(Buffer.from(config.root), native);
    const meta = { mode: 0o644, uid, gid, mtimeNs: 1_700_000_000_123_456_789n };
    // One file first: the applier checks a parent once (realpath, stat) and then trusts it, but
    // puts already waiting on the first check would each make it, which a stream does not do.
    await applier.putWhole('f0', meta, data);
    await Promise.all(Array.from({ length: config.count - 1 }, (_, i) => applier.putWhole(`f${i + 1}`, meta, data)));
  }
  console.log(JSON.stringify({ applied: config.count }));
}
