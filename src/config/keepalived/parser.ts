/**
 * Tokenized lines into keepalived's block tree. A statement is the words of one line up to a
 * brace; "{" opens the block of the statement before it (on the same line, or the previous line
 * when the brace stands alone, which keepalived accepts too); words after "{" on the same line
 * are the block's first statement; "}" closes.
 */
import { ConfigError } from '../config-error.js';
import type { SourceLocation } from '../model.js';
import { isBrace, type Token } from './lexer.js';
import type { ConfLine } from './reader.js';

export interface ConfNode {
  keyword: Token;
  args: Token[];
  /** Present when the statement opened a block (possibly empty). */
  children?: ConfNode[];
  source: SourceLocation;
}

interface OpenBlock {
  owner: ConfNode | undefined;
  children: ConfNode[];
}

export function parseConfLines(lines: readonly ConfLine[]): ConfNode[] {
  const root: OpenBlock = { owner: undefined, children: [] };
  const stack: OpenBlock[] = [root];
  const top = (): OpenBlock => stack[stack.length - 1] as OpenBlock;

  for (const line of lines) {
    let words: Token[] = [];
    let openedOnThisLine = false;
    const flush = (): ConfNode | undefined => {
      const [keyword, ...args] = words;
      words = [];
      if (!keyword) return undefined;
      const node: ConfNode = { keyword, args, source: keyword.source };
      top().children.push(node);
      return node;
    };
    for (const token of line.tokens) {
      if (isBrace(token, '{')) {
        let owner = flush();
        if (!owner) {
          // A brace alone: it belongs to the statement on an earlier line, if that one has no block yet.
          const previous = top().children[top().children.length - 1];
          if (!previous || previous.children || openedOnThisLine || previous.source.line === token.source.line) {
            throw new ConfigError('Unexpected "{" without a keyword before it', token.source);
          }
          owner = previous;
        }
        owner.children = [];
        stack.push({ owner, children: owner.children });
        openedOnThisLine = true;
      } else if (isBrace(token, '}')) {
        flush();
        if (stack.length === 1) throw new ConfigError('Unexpected "}" closes no block', token.source);
        stack.pop();
      } else {
        words.push(token);
      }
    }
    flush();
  }
  if (stack.length > 1) {
    const open = top().owner as ConfNode;
    throw new ConfigError(`Block "${open.keyword.text}" opened here is never closed`, open.source, open.keyword.text);
  }
  return root.children;
}
