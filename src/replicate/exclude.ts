/**
 * Exclude patterns (rsync-like, simplified): `*` any run of bytes but `/`, `**` any run
 * including `/`, `?` one byte but `/`. A pattern without `/` is matched against each name
 * (any depth); one with `/` against the path from the top (a leading `/` is allowed); a trailing
 * `/` is dropped (a directory's pattern). A matched directory excludes everything below it.
 * Paths and patterns are compared as bytes (RelPath, paths.ts).
 */
import type { RelPath } from './paths.js';

function toRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[\\^$.|+(){}[\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

export function excludeMatcher(patterns: readonly string[]): (path: RelPath) => boolean {
  const byName: RegExp[] = [];
  const byPath: RegExp[] = [];
  for (const raw of patterns) {
    // Patterns are written in UTF-8; paths are byte strings: compare byte for byte.
    const pattern = Buffer.from(raw.replace(/\/+$/, ''), 'utf8').toString('latin1');
    if (pattern.includes('/')) byPath.push(toRegExp(pattern.replace(/^\/+/, '')));
    else byName.push(toRegExp(pattern));
  }
  if (byName.length === 0 && byPath.length === 0) return () => false;
  return (path) => {
    const segments = path.split('/');
    for (let i = 0; i < segments.length; i++) {
      if (byName.some((re) => re.test(segments[i]!))) return true;
      const prefix = segments.slice(0, i + 1).join('/');
      if (byPath.some((re) => re.test(prefix))) return true;
    }
    return false;
  };
}
