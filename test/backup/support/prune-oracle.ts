/**
 * restic 0.14's prune as the oracle for ours: `restic prune --dry-run -v`'s plan (packs to keep,
 * repack, delete) against our prune on two copies of the same repository, then `restic check
 * --read-data` on ours. Shared by the prune oracle tests.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hs, ok, restic } from '../restic-fixture.js';

export interface Plan {
  keep: number;
  repack: number;
  delete: number;
}

/** restic's verbose dry-run plan: "to keep: N packs", "to repack: N packs", "to delete: N packs". */
export function resticPlan(out: string): Plan {
  const n = (what: string) => Number(new RegExp(`^${what}:\\s+(\\d+) packs$`, 'm').exec(out)?.[1] ?? NaN);
  return { keep: n('to keep'), repack: n('to repack'), delete: n('to delete') };
}

/** The bytes of the files below `dir`. */
export const sizeOf = (dir: string): number => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((n, e) => n + statSync(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).size, 0);

export interface PruneOracle {
  /**
   * restic's `prune --dry-run -v` plan and our prune on two copies of `base` under the same `args`:
   * the same packs kept, repacked and deleted; restic checks ours with --read-data; the data shrank
   * by what we say we freed; and (unless a repack size limit leaves work) restic's own prune under
   * the same options finds nothing left to do. Returns our JSON summary, restic's plan and our copy.
   */
  samePlanAsRestic(base: string, args: string[]): Promise<{ r: Record<string, number>; plan: Plan; ours: string }>;
}

export function pruneOracle(scratch: string, passwordFile: string): PruneOracle {
  let copies = 0;
  return {
    async samePlanAsRestic(base, args) {
      const i = copies++;
      const theirs = join(scratch, `theirs-${i}`);
      const ours = join(scratch, `ours-${i}`);
      cpSync(base, theirs, { recursive: true });
      cpSync(base, ours, { recursive: true });
      const what = args.join(' ') || '(default 5%)';
      const plan = resticPlan(ok(await restic(theirs, 'prune', '--dry-run', '-v', ...args), `restic prune -n ${what}`).stdout);
      const before = sizeOf(join(ours, 'data'));
      const r = JSON.parse(ok(await hs('prune', '--repo', ours, '--password-file', passwordFile, '--json', ...args), `prune ${what}`).stdout) as Record<string, number>;
      assert.deepEqual({ keep: r.packs_kept, repack: r.packs_repacked, delete: r.packs_deleted }, plan, `${what}: the packs restic would keep, repack and delete`);
      ok(await restic(ours, 'check', '--read-data'), `restic check --read-data after prune ${what}`);
      const after = sizeOf(join(ours, 'data'));
      assert.equal(before - after, r.bytes_removed, `${what}: the data shrank by what prune says it freed`);
      // restic, asked to prune the result under the same options, finds nothing to delete or repack.
      // (A repack size limit leaves work for the next prune, restic's as ours.)
      if (!args.includes('--max-repack-size')) {
        const again = resticPlan(ok(await restic(ours, 'prune', '--dry-run', '-v', ...args), `restic prune -n ${what} after ours`).stdout);
        assert.deepEqual([again.repack, again.delete], [0, 0], `${what}: restic finds nothing left to do`);
      }
      return { r, plan, ours };
    },
  };
}
