/**
 * keepalived.conf keyword handlers from a field table: each keyword of a plain field reads its
 * argument the way its entry says (fields/field.ts KeywordRead) into the draft; the keywords
 * marked custom get the handler the front end supplies for them.
 */
import { ConfigError } from '../config-error.js';
import { located, type Located } from '../draft.js';
import type { FieldSpec, KeywordRead, KeywordSpec } from '../fields/field.js';
import type { Handler } from './blocks.js';
import type { ConfNode } from './parser.js';
import { keywordOf, noArgs, readInteger, readOptionalBool, readSeconds, readString, readUnsigned, singleArg, type Warn } from './values.js';

export function readKeyword(read: Exclude<KeywordRead, 'custom'>, node: ConfNode, warn: Warn): Located<unknown> {
  const word = keywordOf(node);
  switch (read) {
    case 'unsigned':
      return readUnsigned(singleArg(node, warn), word);
    case 'integer':
      return readInteger(singleArg(node, warn), word);
    case 'seconds':
      return readSeconds(singleArg(node, warn), word);
    case 'whole-seconds': {
      const value = readUnsigned(singleArg(node, warn), word);
      return { ...value, value: value.value * 1000 };
    }
    case 'optional-bool':
      return readOptionalBool(node, warn);
    case 'flag-true':
    case 'flag-false':
      noArgs(node, warn);
      return located(read === 'flag-true', node.source, word);
    case 'word':
      return readString(node, warn);
    case 'version': {
      const token = singleArg(node, warn);
      if (token.text !== '2' && token.text !== '3') throw new ConfigError(`"${token.text}" is not a VRRP version (2 or 3)`, token.source, word);
      return located(Number(token.text), token.source, word);
    }
  }
}

/**
 * The handlers of a block: the table's keywords in table order (sections write into their own
 * draft object), then `custom` ones. A custom keyword without a handler, or a handler for a word
 * the table does not know, is a programming error (`extra` lists the keywords without a field).
 */
export function fieldHandlers<D extends object>(
  table: readonly FieldSpec[],
  warn: Warn,
  custom: Readonly<Record<string, Handler<D>>>,
  extra: readonly KeywordSpec[] = [],
): Record<string, Handler<D>> {
  const handlers: Record<string, Handler<D>> = {};
  const add = (spec: FieldSpec, keyword: KeywordSpec, target: (draft: D) => Record<string, unknown>): void => {
    const read = keyword.read;
    if (read === 'custom') {
      const handler = custom[keyword.word];
      if (!handler) throw new Error(`No handler for the custom keyword "${keyword.word}"`);
      handlers[keyword.word] = handler;
      return;
    }
    handlers[keyword.word] = (node, draft) => {
      target(draft)[spec.name] = readKeyword(read, node, warn);
    };
  };
  for (const spec of table) {
    if (spec.section) {
      for (const inner of spec.section) {
        for (const keyword of inner.keepalived ?? []) add(inner, keyword, (d) => ((d as Record<string, Record<string, unknown>>)[spec.name] ??= {}));
      }
    }
    for (const keyword of spec.keepalived ?? []) add(spec, keyword, (d) => d as Record<string, unknown>);
  }
  for (const keyword of extra) {
    const handler = custom[keyword.word];
    if (!handler) throw new Error(`No handler for the keyword "${keyword.word}"`);
    handlers[keyword.word] = handler;
  }
  for (const word of Object.keys(custom)) {
    if (!(word in handlers)) throw new Error(`Handler for "${word}", which the field table does not list`);
  }
  return handlers;
}
