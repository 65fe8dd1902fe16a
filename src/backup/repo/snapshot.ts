/**
 * Snapshot files in `snapshots/` (design.rst, "Snapshots"): the JSON of restic's Snapshot struct,
 * in its field order — time, parent, tree, paths, hostname, username, uid, gid, excludes, tags,
 * original, program_version — with Go's omitempty on all but time, tree and paths. Stored in the
 * unpacked format (see unpacked.ts).
 */
import { formatGoTime, goJsonEncode, parseGoTime, type GoTime } from './go-json.js';
import { parseId, type Id } from './id.js';

export interface Snapshot {
  time: GoTime;
  parent?: Id;
  tree: Id;
  paths: string[];
  hostname?: string;
  username?: string;
  uid?: number;
  gid?: number;
  excludes?: string[];
  tags?: string[];
  original?: Id;
  programVersion?: string;
}

const nonEmpty = <T>(a: T[] | undefined) => (a && a.length ? a : undefined);

export function encodeSnapshot(s: Snapshot): Buffer {
  return Buffer.from(
    goJsonEncode({
      time: formatGoTime(s.time),
      parent: s.parent,
      tree: s.tree,
      paths: s.paths,
      hostname: s.hostname || undefined,
      username: s.username || undefined,
      uid: s.uid || undefined,
      gid: s.gid || undefined,
      excludes: nonEmpty(s.excludes),
      tags: nonEmpty(s.tags),
      original: s.original,
      program_version: s.programVersion || undefined,
    }),
  );
}

const strings = (v: unknown, what: string): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new TypeError(`Snapshot ${what} is not a list of strings`);
  return v as string[];
};

export function decodeSnapshot(json: Uint8Array): Snapshot {
  const v = JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown>;
  if (typeof v.time !== 'string') throw new TypeError('Snapshot has no time');
  const s: Snapshot = { time: parseGoTime(v.time), tree: parseId(v.tree, 'snapshot tree'), paths: strings(v.paths, 'paths') ?? [] };
  if (v.parent != null) s.parent = parseId(v.parent, 'snapshot parent');
  if (typeof v.hostname === 'string') s.hostname = v.hostname;
  if (typeof v.username === 'string') s.username = v.username;
  if (typeof v.uid === 'number') s.uid = v.uid;
  if (typeof v.gid === 'number') s.gid = v.gid;
  const excludes = strings(v.excludes, 'excludes');
  if (excludes) s.excludes = excludes;
  const tags = strings(v.tags, 'tags');
  if (tags) s.tags = tags;
  if (v.original != null) s.original = parseId(v.original, 'snapshot original');
  if (typeof v.program_version === 'string') s.programVersion = v.program_version;
  return s;
}
