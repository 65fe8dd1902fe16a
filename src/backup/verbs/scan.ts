/**
 * Counting what a backup will read (files and bytes below the paths, excludes applied), so that
 * the progress bar can show a fraction and a time left; runs beside the backup, as restic's
 * scanner does.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bytesToName, fsPath } from '../repo/names.js';
import { excludedBy, parsePattern } from './pattern.js';

export interface ScanTotals {
  files: number;
  bytes: number;
}

export async function scanTotals(paths: readonly string[], excludes: readonly string[] = []): Promise<ScanTotals> {
  const patterns = excludes.map(parsePattern);
  const out: ScanTotals = { files: 0, bytes: 0 };
  const visit = async (p: string, top: boolean): Promise<void> => {
    if (!top && patterns.length && excludedBy(patterns, resolve(p))) return;
    let st;
    try {
      st = await lstat(fsPath(p));
    } catch {
      return; // gone meanwhile: the backup reports what matters
    }
    if (st.isFile()) {
      out.files++;
      out.bytes += st.size;
    } else if (st.isDirectory()) {
      let names: Buffer[];
      try {
        names = await readdir(fsPath(p), { encoding: 'buffer' });
      } catch {
        return;
      }
      for (const n of names) await visit(join(p, bytesToName(n)), false);
    }
  };
  for (const p of paths) await visit(p, true);
  return out;
}
