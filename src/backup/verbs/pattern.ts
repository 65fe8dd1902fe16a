/**
 * restic's path patterns (internal/filter/filter.go, as `find`, `backup --exclude` and
 * `restore --include` use them): a pattern is split at "/" into parts matched against the path's
 * components with Go's filepath.Match (`*` any run of non-"/" bytes, `?` one, `[…]` a class with
 * `^` or `!` to negate, `\` escapes); `**` stands for any number of components. A pattern that
 * does not start with "/" matches any run of consecutive components ("*.log" matches every .log
 * file, "cache" every path through a component named cache); one that starts with "/" is anchored
 * at the root. A leading "!" negates an exclude pattern.
 */
import { posix } from 'node:path';

export interface Pattern {
  original: string;
  parts: string[];
  negated: boolean;
}

/** Go's path.Clean and restic's splitting: "/a//b/" → ["/", "a", "b"]. */
function splitPath(p: string): string[] {
  const parts = p.split('/');
  if (parts[0] === '') parts[0] = '/';
  return parts;
}

export function parsePattern(text: string): Pattern {
  let s = text;
  const negated = s.startsWith('!');
  if (negated) s = s.slice(1);
  const cleaned = s === '' ? '' : posix.normalize(s).replace(/(.)\/$/, '$1');
  return { original: text, parts: cleaned === '' ? [] : splitPath(cleaned), negated };
}

const compiled = new Map<string, RegExp>();

/** Go's filepath.Match pattern as a regular expression over one component. */
function componentRegExp(pat: string): RegExp {
  let re = compiled.get(pat);
  if (re) return re;
  let src = '^';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else if (c === '\\' && i + 1 < pat.length) src += escapeRe(pat[++i]!);
    else if (c === '[') {
      const end = pat.indexOf(']', i + 2);
      if (end < 0) throw new SyntaxError(`Invalid pattern '${pat}': unclosed [`);
      let body = pat.slice(i + 1, end);
      let neg = '';
      if (body.startsWith('^') || body.startsWith('!')) {
        neg = '^';
        body = body.slice(1);
      }
      src += `[${neg}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else src += escapeRe(c);
  }
  re = new RegExp(src + '$', 'su');
  compiled.set(pat, re);
  return re;
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const isSimple = (p: string) => !/[*?[\\]/.test(p);

function partMatches(pat: string, comp: string): boolean {
  return isSimple(pat) ? pat === comp : componentRegExp(pat).test(comp);
}

function matchParts(parts: string[], strs: string[]): boolean {
  const dbl = parts.indexOf('**');
  if (dbl >= 0) {
    // Expand "**" into 0, 1, 2, … "*" parts.
    for (let n = 0; n <= strs.length - parts.length + 1; n++) {
      const expanded = [...parts.slice(0, dbl), ...Array<string>(n).fill('*'), ...parts.slice(dbl + 1)];
      if (matchParts(expanded, strs)) return true;
    }
    return false;
  }
  if (parts.length === 0) return strs.length === 0;
  if (parts.length > strs.length) return false;
  const maxOffset = parts[0] === '/' ? 0 : strs.length - parts.length;
  const minOffset = parts[0] !== '/' && strs[0] === '/' ? 1 : 0;
  outer: for (let offset = maxOffset; offset >= minOffset; offset--) {
    for (let i = parts.length - 1; i >= 0; i--) if (!partMatches(parts[i]!, strs[offset + i]!)) continue outer;
    return true;
  }
  return false;
}

/** Whether `pattern` matches the path `path` (an absolute path in a snapshot or on disk). */
export function matchPattern(pattern: Pattern, path: string): boolean {
  if (pattern.parts.length === 0) return false;
  return matchParts(pattern.parts, splitPath(path));
}

/**
 * Whether something below the directory `path` could match (restic's ChildMatch): always for
 * patterns not anchored at the root; for anchored ones, when the directory's components match
 * the pattern's first ones.
 */
export function childMayMatch(pattern: Pattern, path: string): boolean {
  if (pattern.parts.length === 0) return false;
  if (pattern.parts[0] !== '/') return true;
  const strs = splitPath(path);
  for (let i = 0; i < Math.min(strs.length, pattern.parts.length); i++) {
    const p = pattern.parts[i]!;
    if (p === '**') return true;
    if (!partMatches(p, strs[i]!)) return false;
  }
  return true;
}

/** restic's filter.List for excludes: the last matching pattern decides ("!" re-includes). */
export function excludedBy(patterns: readonly Pattern[], path: string): boolean {
  let excluded = false;
  for (const p of patterns) if (matchPattern(p, path)) excluded = !p.negated;
  return excluded;
}

/** A lower-cased pattern for case-insensitive matching (restic's find --ignore-case). */
export function lowerPattern(p: Pattern): Pattern {
  return { ...p, parts: p.parts.map((x) => x.toLowerCase()) };
}
