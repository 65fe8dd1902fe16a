/**
 * restic's default repository layout (design.rst, "Repository Layout"), shared by every backend:
 * `config`, `keys/<id>`, `snapshots/<id>`, `index/<id>`, `locks/<id>` and packs under
 * `data/<first two hex digits>/<id>`. Paths here are relative and use '/'.
 */
import { randomBytes } from 'node:crypto';
import type { FileType, Handle, TempFileInfo } from '../repo/backend.js';

export const TOP_DIRS = ['keys', 'snapshots', 'index', 'locks', 'data'] as const;

/** The 256 pack subdirectories, `data/00` … `data/ff`. */
export const DATA_SUBDIRS: readonly string[] = Array.from({ length: 256 }, (_, i) => `data/${i.toString(16).padStart(2, '0')}`);

/** The directory a file lives in ('' for the config file). */
export function layoutDir(h: Handle): string {
  if (h.type === 'config') return '';
  if (h.type === 'data') return `data/${h.name.slice(0, 2)}`;
  return h.type;
}

/** The file's path; RangeError for a name that could leave its directory or is not a pack id. */
export function layoutPath(h: Handle): string {
  if (h.type === 'config') return 'config';
  if (h.type === 'data' && !/^[0-9a-f]{2,}$/.test(h.name)) throw new RangeError(`Invalid pack name '${h.name}'`);
  if (h.name === '' || h.name.includes('/') || h.name.startsWith('.')) throw new RangeError(`Invalid file name '${h.name}'`);
  return `${layoutDir(h)}/${h.name}`;
}

/** A save in progress is written under a temporary name beside the final one, then renamed. */
export const tempPath = (final: string) => `${final}-tmp-${randomBytes(8).toString('hex')}`;

/** Whether a listed name is a save in progress (or one that was interrupted): never listed as a file. */
export const isTempName = (name: string) => name.includes('-tmp-');

/** Whether a temporary name belongs where it was listed (a pack's starts with its directory's two hex digits). */
export const tempBelongs = (dir: string, name: string) => isTempName(name) && (!dir.startsWith('data/') || name.startsWith(dir.slice(5))) && (dir !== '' || name.startsWith('config-tmp-'));

/** The directories a temporary file can be in, with the type of the file it was to become. */
export const TEMP_DIRS: readonly { dir: string; type: FileType }[] = [
  { dir: '', type: 'config' },
  ...(['keys', 'snapshots', 'index', 'locks'] as const).map((type) => ({ dir: type, type })),
  ...DATA_SUBDIRS.map((dir) => ({ dir, type: 'data' as const })),
];

/**
 * The path of a temporary file from listTemporary(); RangeError for a name that is not one or
 * could leave its directory (the name is the backend's own listing, but removal stays careful).
 */
export function tempLeftoverPath(f: TempFileInfo): string {
  if (!isTempName(f.name) || f.name.includes('/') || f.name.startsWith('.')) throw new RangeError(`Not a temporary file name: '${f.name}'`);
  if (f.type === 'config') {
    if (!f.name.startsWith('config-tmp-')) throw new RangeError(`Not a temporary config file: '${f.name}'`);
    return f.name;
  }
  if (f.type === 'data') {
    if (!/^[0-9a-f]{2}/.test(f.name)) throw new RangeError(`Not a temporary pack file: '${f.name}'`);
    return `data/${f.name.slice(0, 2)}/${f.name}`;
  }
  return `${f.type}/${f.name}`;
}
