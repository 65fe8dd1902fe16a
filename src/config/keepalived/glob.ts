/**
 * The include patterns keepalived hands to glob(3) with GLOB_BRACE: csh braces ("{a,b}"),
 * "*", "?" and "[...]" per path component, a leading dot matched only explicitly, results
 * sorted. File access goes through DirectoryLister so tests can use a fake tree.
 */

export interface DirectoryEntry {
  name: string;
  isDirectory: boolean;
}

export type DirectoryLister = (directory: string) => Promise<DirectoryEntry[]>;

/** The index of the brace closing the one at `open`, or -1. */
function matchingBrace(pattern: string, open: number): number {
  let depth = 0;
  for (let i = open; i < pattern.length; i++) {
    if (pattern[i] === '{') depth++;
    else if (pattern[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Top-level comma positions between open and close. */
function topLevelCommas(pattern: string, open: number, close: number): number[] {
  const commas: number[] = [];
  let depth = 0;
  for (let i = open + 1; i < close; i++) {
    const c = pattern[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) commas.push(i);
  }
  return commas;
}

/** csh brace expansion: "a{b,c{d,e}}f" -> abf, acdf, acef. Braces without a comma stay literal. */
export function expandBraces(pattern: string): string[] {
  for (let open = pattern.indexOf('{'); open >= 0; open = pattern.indexOf('{', open + 1)) {
    const close = matchingBrace(pattern, open);
    if (close < 0) return [pattern];
    const commas = topLevelCommas(pattern, open, close);
    if (commas.length === 0) continue;
    const prefix = pattern.slice(0, open);
    const suffix = pattern.slice(close + 1);
    const bounds = [open, ...commas, close];
    const results: string[] = [];
    for (let k = 0; k + 1 < bounds.length; k++) {
      const alternative = pattern.slice((bounds[k] as number) + 1, bounds[k + 1]);
      results.push(...expandBraces(prefix + alternative + suffix));
    }
    return results;
  }
  return [pattern];
}

export function hasGlobMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** A regular expression for one path component. */
function componentRegExp(component: string): RegExp {
  let source = '';
  for (let i = 0; i < component.length; i++) {
    const c = component[i] as string;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = component.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = component.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else {
      source += c.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function matches(component: string, name: string): boolean {
  // glob(3): a leading dot must be matched by a literal dot.
  if (name.startsWith('.') && !component.startsWith('.')) return false;
  return componentRegExp(component).test(name);
}

/**
 * Files (not directories) matching an absolute pattern without braces, sorted.
 * Directories that cannot be listed are skipped, as glob(3) does by default.
 */
export async function globFiles(pattern: string, list: DirectoryLister): Promise<string[]> {
  const components = pattern.split('/').filter((c, i) => c !== '' || i === 0);
  let candidates: { path: string; isDirectory: boolean }[] = [{ path: components[0] === '' ? '/' : '.', isDirectory: true }];
  for (let i = components[0] === '' ? 1 : 0; i < components.length; i++) {
    const component = components[i] as string;
    const last = i === components.length - 1;
    const next: { path: string; isDirectory: boolean }[] = [];
    for (const candidate of candidates) {
      if (!candidate.isDirectory) continue;
      let entries: DirectoryEntry[];
      try {
        entries = await list(candidate.path);
      } catch {
        continue;
      }
      const join = (name: string): string => (candidate.path === '/' ? `/${name}` : `${candidate.path}/${name}`);
      for (const entry of entries) {
        if (!hasGlobMagic(component) ? entry.name === component : matches(component, entry.name)) {
          if (!last || !entry.isDirectory) next.push({ path: join(entry.name), isDirectory: entry.isDirectory });
        }
      }
    }
    candidates = next;
  }
  return candidates.map((c) => c.path).sort();
}
