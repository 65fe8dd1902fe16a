/**
 * Reads a keepalived.conf and everything it includes into one list of tokenized lines, each
 * knowing its file and line. keepalived handles `include` per line, wherever it stands (even
 * inside a block), with paths relative to the including file's directory and glob patterns.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../config-error.js';
import type { SourceLocation } from '../model.js';
import { expandBraces, globFiles, hasGlobMagic, type DirectoryEntry, type DirectoryLister } from './glob.js';
import { tokenizeLine, type Token } from './lexer.js';

export interface ConfLine {
  tokens: Token[];
  source: SourceLocation;
}

/** How the reader reaches included files; the default is the real file system. */
export interface ConfFileAccess {
  readFile: (path: string) => Promise<string>;
  listDirectory: DirectoryLister;
}

export async function listRealDirectory(directory: string): Promise<DirectoryEntry[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  return Promise.all(
    entries.map(async (entry) => {
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) isDirectory = await stat(resolve(directory, entry.name)).then((s) => s.isDirectory(), () => false);
      return { name: entry.name, isDirectory };
    }),
  );
}

export const realFileAccess: ConfFileAccess = {
  readFile: (path) => readFile(path, 'utf8'),
  listDirectory: listRealDirectory,
};

/** keepalived's include and its checking variants (we always check: see expandInclude). */
const INCLUDE_KEYWORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea', 'includet']);
/** Deeper nesting than this is a runaway, not a configuration. */
const MAX_INCLUDE_DEPTH = 32;

export interface ReadWarning {
  message: string;
  source: SourceLocation;
}

interface ReadState {
  access: ConfFileAccess;
  lines: ConfLine[];
  warnings: ReadWarning[];
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

async function readIncluded(path: string, source: SourceLocation, access: ConfFileAccess): Promise<string> {
  try {
    return await access.readFile(path);
  } catch (err) {
    const code = errorCode(err);
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : err instanceof Error ? err.message : String(err);
    throw new ConfigError(`Cannot read included file ${path}: ${reason}`, source, 'include');
  }
}

/**
 * The files an include line names. A literal path that does not exist is an error (keepalived
 * would silently skip it, and a missing instance is worse than a refused start); a pattern that
 * matches nothing is a warning, since conf.d directories are often empty.
 */
async function includedPaths(pattern: string, baseDir: string, source: SourceLocation, state: ReadState): Promise<string[]> {
  const paths: string[] = [];
  for (const alternative of expandBraces(pattern)) {
    const absolute = isAbsolute(alternative) ? alternative : resolve(baseDir, alternative);
    if (!hasGlobMagic(alternative)) {
      paths.push(absolute);
      continue;
    }
    const found = await globFiles(absolute, state.access.listDirectory);
    if (found.length === 0) state.warnings.push({ message: `include pattern ${alternative} matches no file`, source });
    paths.push(...found);
  }
  return paths;
}

/**
 * The file name or pattern of an include line, read from the raw text because patterns may hold
 * braces ("conf.d/{a,b}.conf") that are block delimiters anywhere else. One word, or a "quoted"
 * one; only a comment may follow.
 */
function includeTarget(line: string, from: number, source: SourceLocation, keyword: string): string {
  const rest = line.slice(from).trimStart();
  let target: string;
  let after: string;
  if (rest.startsWith('"')) {
    const close = rest.indexOf('"', 1);
    if (close < 0) throw new ConfigError(`Unmatched quote: ${rest}`, source);
    target = rest.slice(1, close);
    after = rest.slice(close + 1);
  } else {
    const end = rest.search(/[\s#!]|$/);
    target = rest.slice(0, end);
    after = rest.slice(end);
  }
  if (target === '') throw new ConfigError('include needs a file name or pattern', source, keyword);
  const extra = after.trim();
  if (extra !== '' && !extra.startsWith('#') && !extra.startsWith('!')) {
    throw new ConfigError(`Unexpected "${extra.split(/\s/)[0]}" after the included file name`, source, keyword);
  }
  return target;
}

/** `fileName` is how sources name the file; `chain` ends with its absolute path. */
async function readInto(text: string, fileName: string, chain: string[], state: ReadState): Promise<void> {
  const pwd = dirname(chain[chain.length - 1] as string);
  // A byte order mark would otherwise glue itself to the first keyword.
  const rawLines = text.replace(/^\uFEFF/, '').split('\n');
  for (let index = 0; index < rawLines.length; index++) {
    const source: SourceLocation = { file: fileName, line: index + 1 };
    const tokens = tokenizeLine(rawLines[index] as string, source, pwd);
    const first = tokens[0];
    if (!first || first.quoted || !INCLUDE_KEYWORDS.has(first.text)) {
      if (tokens.length > 0) state.lines.push({ tokens, source });
      continue;
    }
    const target = includeTarget(first.line, first.end, source, first.text);
    for (const path of await includedPaths(target, pwd, source, state)) {
      if (chain.includes(path)) {
        throw new ConfigError(`Include cycle: ${[...chain, path].join(' -> ')}`, source, first.text);
      }
      if (chain.length >= MAX_INCLUDE_DEPTH) {
        throw new ConfigError(`Includes nested deeper than ${MAX_INCLUDE_DEPTH} levels`, source, first.text);
      }
      const included = await readIncluded(path, source, state.access);
      await readInto(included, path, [...chain, path], state);
    }
  }
}

/** All lines of `text` (named `fileName`) with includes expanded in place. */
export async function readConfLines(
  text: string,
  fileName: string,
  access: ConfFileAccess,
): Promise<{ lines: ConfLine[]; warnings: ReadWarning[] }> {
  const state: ReadState = { access, lines: [], warnings: [] };
  await readInto(text, fileName, [resolve(fileName)], state);
  return { lines: state.lines, warnings: state.warnings };
}
