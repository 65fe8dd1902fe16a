/**
 * keepalived.conf lines into tokens, as keepalived 2.2.7 reads them (checked against the
 * binary with `keepalived -d`):
 *  - "#" and "!" start a comment anywhere outside quotes;
 *  - "{" and "}" are tokens of their own, attached or not ("group{VI_1}");
 *  - most keywords see "plain" words: only a double quote at the start of a word quotes
 *    (no escapes, a quote inside a word ends it, single quotes are ordinary characters);
 *  - script and notify commands are read "escaped": single and double quotes both quote, quoted
 *    parts join the characters around them, and shell-like backslash escapes apply
 *    (escapedWords).
 * Parameter definitions, conditional lines and sequences are refused: we cannot evaluate them
 * the way keepalived would, and guessing would change the configuration.
 */
import { ConfigError } from '../config-error.js';
import type { SourceLocation } from '../model.js';

export interface Token {
  /** The word, quotes removed. */
  text: string;
  /** Some part was quoted (so a quoted "{" is text, not a brace). */
  quoted: boolean;
  source: SourceLocation;
  /** Offsets of the token in `line`, quotes included. */
  start: number;
  end: number;
  /** The whole line (after ${_...} substitution), for escaped re-reading. */
  line: string;
}

export function isBrace(token: Token, brace: '{' | '}'): boolean {
  return !token.quoted && token.text === brace;
}

// Private-use characters standing for ${_HASH} and ${_BANG} until comments are stripped.
const HASH_STAND_IN = '\u{F8FE}';
const BANG_STAND_IN = '\u{F8FF}';

function restoreStandIns(text: string): string {
  return text.replaceAll(HASH_STAND_IN, '#').replaceAll(BANG_STAND_IN, '!');
}

/**
 * keepalived's pre-defined parameters we can evaluate: ${_PWD} (directory of the current file),
 * ${_HASH} and ${_BANG} (a literal # and !). The others (${_INSTANCE}, ${_RANDOM}) are refused.
 */
function substitutePredefined(raw: string, pwd: string, source: SourceLocation): string {
  return raw.replace(/\$\{(_[A-Za-z0-9_]*)(?:\s[^}]*)?\}|\$(_[A-Za-z0-9_]+)(?=\s|$)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare;
    if (name === '_PWD') return pwd;
    if (name === '_HASH') return HASH_STAND_IN;
    if (name === '_BANG') return BANG_STAND_IN;
    throw new ConfigError(`Pre-defined parameter ${whole} is not supported`, source, whole);
  });
}

function refuseAdvancedSyntax(raw: string, source: SourceLocation): void {
  const trimmed = raw.trimStart();
  // The construct is the "keyword" an error names: @high, $NAME, ~SEQ.
  const word = trimmed.split(/[\s=(]/)[0];
  if (trimmed.startsWith('@')) {
    throw new ConfigError('Conditional configuration lines ("@id ...") are not supported; write the line for this host', source, word);
  }
  if (/^\$[A-Za-z_][A-Za-z0-9_]*=/.test(trimmed)) {
    throw new ConfigError('Parameter definitions ("$NAME=value") are not supported; write the values out', source, word);
  }
  if (/^~SEQx?\(/.test(trimmed)) {
    throw new ConfigError('Sequence blocks ("~SEQ(...)") are not supported; write the lines out', source, word);
  }
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\v' || c === '\f';
}

/** The plain tokens of one line (see the module comment). */
export function tokenizeLine(rawLine: string, source: SourceLocation, pwd: string): Token[] {
  refuseAdvancedSyntax(rawLine, source);
  const line = substitutePredefined(rawLine, pwd, source);
  const tokens: Token[] = [];
  const push = (text: string, quoted: boolean, start: number, end: number): void => {
    tokens.push({ text: restoreStandIns(text), quoted, source, start, end, line });
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i] as string;
    if (isBlank(c)) {
      i++;
    } else if (c === '#' || c === '!') {
      break;
    } else if (c === '{' || c === '}') {
      push(c, false, i, i + 1);
      i++;
    } else if (c === '"') {
      const close = line.indexOf('"', i + 1);
      if (close < 0) throw new ConfigError(`Unmatched quote: ${line.slice(i).trim()}`, source);
      push(line.slice(i + 1, close), true, i, close + 1);
      i = close + 1;
    } else {
      const start = i;
      while (i < line.length) {
        const d = line[i] as string;
        if (isBlank(d) || d === '"' || d === '#' || d === '!' || d === '{' || d === '}') break;
        i++;
      }
      push(line.slice(start, i), false, start, i);
    }
  }
  return tokens;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One backslash escape at text[i] (the backslash); returns the character(s) and the next index. */
function readEscape(text: string, i: number, source: SourceLocation): [string, number] {
  const c = text[i + 1];
  if (c === undefined) throw new ConfigError(`Trailing backslash in ${text.trim()}`, source);
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c] as string, i + 2];
  if (c >= '0' && c <= '7') {
    const match = /^[0-7]{1,3}/.exec(text.slice(i + 1)) as RegExpExecArray;
    return [String.fromCharCode(parseInt(match[0], 8) & 0xff), i + 1 + match[0].length];
  }
  if (c === 'x') {
    const match = /^[0-9a-fA-F]+/.exec(text.slice(i + 2));
    if (!match) return ['x', i + 2];
    return [String.fromCharCode(parseInt(match[0].slice(-2), 16)), i + 2 + match[0].length];
  }
  if (c === 'c') {
    const d = text[i + 2];
    if (d === undefined) throw new ConfigError(`Incomplete control escape in ${text.trim()}`, source);
    return [String.fromCharCode(d.toUpperCase().charCodeAt(0) ^ 0x40), i + 3];
  }
  return [c, i + 2];
}

/**
 * Words of `text` read the "escaped" way keepalived reads script and notify commands:
 * blanks separate words, '...' and "..." quote (and join with adjacent characters),
 * and \n, \t, \xHH, \NNN, \cC, \C escapes apply inside and outside quotes.
 */
export function escapedWords(text: string, source: SourceLocation): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; ) {
    const c = text[i] as string;
    if (quote === undefined && isBlank(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === '\\') {
      const [chars, next] = readEscape(text, i, source);
      word += chars;
      i = next;
    } else if (c === quote) {
      quote = undefined;
      i++;
    } else if (quote === undefined && (c === '"' || c === "'")) {
      quote = c;
      i++;
    } else {
      word += c;
      i++;
    }
  }
  if (quote !== undefined) throw new ConfigError(`Unmatched quote: ${text.trim()}`, source);
  if (inWord) words.push(word);
  return words.map(restoreStandIns);
}
