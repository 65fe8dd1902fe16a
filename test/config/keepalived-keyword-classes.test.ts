/**
 * Every keyword keepalived 2.2.7's manual lists for the blocks hotstandby reads is implemented,
 * refused or ignored with a warning, never an "unknown keyword"; and the keywords that could change
 * who is master, which addresses are held, or security are never just a warning (issue 10 §5).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { keywordClasses } from '../../src/config/keepalived/keyword-classes.js';
import { DATA_DIR } from './helpers.js';

interface ManualKeywords {
  blocks: Record<string, string[]>;
}

const classes = new Map(keywordClasses().map((c) => [c.block, c]));

function classOf(block: string, keyword: string): 'implemented' | 'refused' | 'warning' | 'unknown' {
  const c = classes.get(block);
  assert.ok(c, `no rules for block ${block}`);
  if (c.implemented.includes(keyword)) return 'implemented';
  if (Object.hasOwn(c.refused, keyword)) return 'refused';
  if (Object.hasOwn(c.warned, keyword)) return 'warning';
  return 'unknown';
}

test("every keyword of keepalived 2.2.7's manual is implemented, refused or a warning in its block", async () => {
  const manual = JSON.parse(await readFile(join(DATA_DIR, 'keepalived-2.2.7-keywords.json'), 'utf8')) as ManualKeywords;
  const unknown: string[] = [];
  let count = 0;
  for (const [block, keywords] of Object.entries(manual.blocks)) {
    for (const keyword of keywords) {
      count++;
      if (classOf(block, keyword) === 'unknown') unknown.push(`${block} ${keyword}`);
    }
  }
  assert.deepEqual(unknown, []);
  assert.ok(count > 200, `only ${count} keywords read from the manual's list`);
});

/**
 * Keywords whose absence changes who is master, which addresses are held, or security. (The
 * keywords that other parts of issue 10 implement - vrrp_strict, dont_track_primary,
 * check_unicast_src, use_vmac, virtual_routes, ... - join this list when they land.)
 */
const NEVER_A_WARNING: ReadonlyArray<[string, string]> = [
  ['top level', 'static_ipaddress'],
  ['top level', 'net_namespace'],
  ['global_defs', 'net_namespace'],
  ['global_defs', 'enable_script_security'],
  ['global_defs', 'script_user'],
  ['global_defs', 'vrrp_mcast_group4'],
  ['global_defs', 'vrrp_mcast_group6'],
  ['global_defs', 'vrrp_version'],
  ['global_defs', 'vrrp_down_timer_adverts'],
  ['vrrp_instance', 'track_src_ip'],
  ['vrrp_instance', 'promote_secondaries'],
  ['vrrp_instance', 'track_bfd'],
  ['vrrp_instance', 'mcast_dst_ip'],
  ['vrrp_instance', 'vrf'],
  ['vrrp_instance', 'use_ipvlan'],
  ['vrrp_instance', 'authentication'],
  ['vrrp_instance', 'virtual_ipaddress'],
  ['vrrp_instance', 'virtual_ipaddress_excluded'],
  ['vrrp_instance', 'track_interface'],
  ['vrrp_instance', 'unicast_peer'],
  ['vrrp_instance', 'nopreempt'],
  ['vrrp_instance', 'preempt_delay'],
  ['vrrp_instance', 'strict_mode'],
  ['vrrp_instance', 'down_timer_adverts'],
  ['vrrp_instance', 'unicast_fault_no_peer'],
  ['vrrp_sync_group', 'group'],
  ['vrrp_sync_group', 'track_script'],
  ['vrrp_sync_group', 'sync_group_tracking_weight'],
  ['vrrp_track_process', 'quorum_max'],
];

test('keywords that change who is master, which addresses are held, or security are implemented or refused, not warnings', () => {
  for (const [block, keyword] of NEVER_A_WARNING) {
    assert.ok(['implemented', 'refused'].includes(classOf(block, keyword)), `${block} ${keyword}: ${classOf(block, keyword)}`);
  }
});

test('an unknown keyword inside authentication is refused (a typo there would turn authentication off)', () => {
  assert.equal(classes.get('authentication')?.refuseUnknown, true);
});
