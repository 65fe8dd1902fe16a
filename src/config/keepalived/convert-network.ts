/**
 * vrrp_instance keywords for what an instance puts on the network besides its VIPs:
 * virtual_routes, virtual_rules, use_vmac, vmac_xmit_base (custom keywords of fields/instance.ts).
 */
import { ConfigError } from '../config-error.js';
import { located, type InstanceDraft } from '../draft.js';
import { parseRouteWords, parseRuleWords } from '../virtual-routes.js';
import type { BlockRules } from './blocks.js';
import type { ConfNode } from './parser.js';
import { blockOf, keywordOf, noArgs, type Warn } from './values.js';

/** Keywords among these that take a { } block. */
export const NETWORK_BLOCK_KEYWORDS = ['virtual_routes', 'virtual_rules'];

function lines(node: ConfNode): Array<{ words: string[]; source: ConfNode['source'] }> {
  return blockOf(node).map((line) => {
    if (line.children) throw new ConfigError(`Unexpected { } block in ${keywordOf(node)}`, line.source, keywordOf(node));
    return { words: [line.keyword, ...line.args].map((t) => t.text), source: line.source };
  });
}

export function networkHandlers(warn: Warn): BlockRules<InstanceDraft>['handlers'] {
  return {
    virtual_routes: (node, d) => {
      for (const { words, source } of lines(node)) d.network.routes.push(parseRouteWords(words, source, 'virtual_routes'));
    },
    virtual_rules: (node, d) => {
      for (const { words, source } of lines(node)) d.network.rules.push(parseRuleWords(words, source, 'virtual_rules'));
    },
    // use_vmac [NAME] [MAC]: a MAC is told apart by its colons (interface names have none).
    use_vmac: (node, d) => {
      const vmac: { name?: string; mac?: string } = {};
      for (const token of node.args) {
        const slot = token.text.includes(':') ? 'mac' : 'name';
        if (vmac[slot] !== undefined) throw new ConfigError(`Unexpected "${token.text}": use_vmac takes one name and one MAC`, token.source, 'use_vmac');
        vmac[slot] = token.text;
      }
      d.network.vmac = located(vmac, node.source, 'use_vmac');
    },
    vmac_xmit_base: (node, d) => {
      noArgs(node, warn);
      d.network.vmacXmitBase = located(true, node.source, 'vmac_xmit_base');
    },
  };
}
