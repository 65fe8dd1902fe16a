/**
 * keepalived.conf tokenizing and block structure, as keepalived 2.2.7 reads them (each case was
 * checked against `keepalived -d`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapedWords, tokenizeLine } from '../../src/config/keepalived/lexer.js';
import { parseConfLines, type ConfNode } from '../../src/config/keepalived/parser.js';
import { readConfLines } from '../../src/config/keepalived/reader.js';
import { memoryFiles } from './helpers.js';

const at = { file: 'k.conf', line: 1 };
const words = (line: string): string[] => tokenizeLine(line, at, '/etc/keepalived').map((t) => t.text);

const plainCases: [string, string[]][] = [
  ['priority 100', ['priority', '100']],
  ['  priority\t100  ', ['priority', '100']],
  ['priority 50#comment', ['priority', '50']],
  ['interface eth0 ! comment', ['interface', 'eth0']],
  ['# whole line comment', []],
  ['! whole line comment', []],
  ['vrrp_instance VI_1{', ['vrrp_instance', 'VI_1', '{']],
  ['group{VI_1 VI_2}}', ['group', '{', 'VI_1', 'VI_2', '}', '}']],
  ['auth_pass "p q"r', ['auth_pass', 'p q', 'r']],
  ['auth_pass x"y z"w', ['auth_pass', 'x', 'y z', 'w']],
  ["auth_pass 'ab'", ['auth_pass', "'ab'"]],
  ['auth_pass "a\\tb"', ['auth_pass', 'a\\tb']],
  ['notify "/bin/x #1 {y}"', ['notify', '/bin/x #1 {y}']],
  ['script ${_PWD}/check.sh', ['script', '/etc/keepalived/check.sh']],
  ['auth_pass a${_HASH}b${_BANG}c', ['auth_pass', 'a#b!c']],
];

for (const [line, expected] of plainCases) {
  test(`plain tokens of ${JSON.stringify(line)}`, () => {
    assert.deepEqual(words(line), expected);
  });
}

test('a quoted brace is text, not a block', () => {
  const tokens = tokenizeLine('x "{"', at, '/');
  assert.equal(tokens[1]?.text, '{');
  assert.equal(tokens[1]?.quoted, true);
});

const escapedCases: [string, string[]][] = [
  ['/bin/echo" a"b', ['/bin/echo ab']],
  ['"/bin/echo \\"q\\" \\x41"', ['/bin/echo "q" A']],
  ["'/bin/echo \\x41 \"b c\"'", ['/bin/echo A "b c"']],
  ['/bin/echo\\x42', ['/bin/echoB']],
  ['"/bin/echo \\101\\tZ" nobody', ['/bin/echo A\tZ', 'nobody']],
  ['"/bin/x" user group', ['/bin/x', 'user', 'group']],
  ["'a''b'", ['ab']],
  ['"\\cA"', ['\x01']],
];

for (const [text, expected] of escapedCases) {
  test(`escaped words of ${JSON.stringify(text)}`, () => {
    assert.deepEqual(escapedWords(text, at), expected);
  });
}

test('an unmatched quote in escaped words is an error', () => {
  assert.throws(() => escapedWords('"abc', at), /Unmatched quote/);
});

function shape(nodes: ConfNode[]): unknown[] {
  return nodes.map((n) => (n.children ? { [n.keyword.text]: shape(n.children) } : [n.keyword.text, ...n.args.map((a) => a.text)].join(' ')));
}

async function tree(text: string): Promise<unknown[]> {
  const { lines } = await readConfLines(text, '/k.conf', memoryFiles({}));
  return shape(parseConfLines(lines));
}

test('blocks nest, with braces attached, alone on a line, or closing several at once', async () => {
  const text = [
    'vrrp_instance VI_1',
    '{',
    '  interface eth0',
    '  virtual_ipaddress { 192.0.2.1',
    '    192.0.2.2 }',
    '  track_script {chk}}',
    'global_defs {}',
  ].join('\n');
  assert.deepEqual(await tree(text), [
    { vrrp_instance: ['interface eth0', { virtual_ipaddress: ['192.0.2.1', '192.0.2.2'] }, { track_script: ['chk'] }] },
    { global_defs: [] },
  ]);
});

test('node sources carry file and line', async () => {
  const { lines } = await readConfLines('a {\n  b 1\n}\n', '/x/k.conf', memoryFiles({}));
  const [a] = parseConfLines(lines);
  assert.deepEqual(a?.source, { file: '/x/k.conf', line: 1 });
  assert.deepEqual(a?.children?.[0]?.source, { file: '/x/k.conf', line: 2 });
});
