/**
 * include: paths relative to the including file, globs with braces, nested includes, includes
 * inside blocks, cycle protection, and errors naming the include line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandBraces, globFiles } from '../../src/config/keepalived/glob.js';
import { assertConfigError, CONF_FILE, conf, memoryFiles } from './helpers.js';

const instance = (name: string, vrid: number): string =>
  `vrrp_instance ${name} {\n interface eth0\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  192.0.2.${vrid}\n }\n}\n`;

test('include with a glob, relative to the including file, in sorted order', async () => {
  const { config } = await conf('include conf.d/*.conf\n', {
    '/etc/keepalived/conf.d/20-b.conf': instance('B', 2),
    '/etc/keepalived/conf.d/10-a.conf': instance('A', 1),
    '/etc/keepalived/conf.d/notes.txt': 'not a config',
    '/etc/keepalived/conf.d/.hidden.conf': instance('H', 9),
  });
  assert.deepEqual(config.instances.map((i) => i.name), ['A', 'B']);
  assert.equal(config.instances[1]?.source.file, '/etc/keepalived/conf.d/20-b.conf');
});

test('nested includes resolve relative to each including file', async () => {
  const { config } = await conf('include sub/a.conf\n', {
    '/etc/keepalived/sub/a.conf': 'include deeper/b.conf\n',
    '/etc/keepalived/sub/deeper/b.conf': instance('B', 2),
  });
  assert.deepEqual(config.instances.map((i) => i.name), ['B']);
});

test('absolute include paths and brace alternatives', async () => {
  const { config } = await conf('include /srv/{one,two}.conf\n', {
    '/srv/one.conf': instance('One', 1),
    '/srv/two.conf': instance('Two', 2),
  });
  assert.deepEqual(config.instances.map((i) => i.name), ['One', 'Two']);
});

test('an include inside a block inserts its lines there', async () => {
  const { config } = await conf('vrrp_instance VI_1 {\n include vips.conf\n interface eth0\n virtual_router_id 7\n}\n', {
    '/etc/keepalived/vips.conf': 'virtual_ipaddress {\n 192.0.2.7\n}\n',
  });
  assert.deepEqual(config.instances[0]?.vips.map((v) => [v.address, v.source.file, v.source.line]), [['192.0.2.7', '/etc/keepalived/vips.conf', 2]]);
});

test('the include variants of keepalived behave like include', async () => {
  const { config } = await conf('includer a.conf\nincludea b.conf\n', {
    '/etc/keepalived/a.conf': instance('A', 1),
    '/etc/keepalived/b.conf': instance('B', 2),
  });
  assert.equal(config.instances.length, 2);
});

test('a missing literal include is an error naming the include line', async () => {
  await assertConfigError(() => conf('\ninclude missing.conf\n'), {
    file: CONF_FILE,
    line: 2,
    key: 'include',
    message: /Cannot read included file \/etc\/keepalived\/missing\.conf: no such file/,
  });
});

test('including a directory is an error', async () => {
  await assertConfigError(() => conf('include conf.d\n', { '/etc/keepalived/conf.d/a.conf': '' }), {
    line: 1,
    message: /it is a directory/,
  });
});

test('a pattern matching nothing is a warning', async () => {
  const { warnings } = await conf('include conf.d/*.conf\n', { '/etc/keepalived/other/x': '' });
  assert.deepEqual(warnings, [{ message: 'include pattern conf.d/*.conf matches no file', source: { file: CONF_FILE, line: 1 } }]);
});

test('an include cycle is an error naming the chain', async () => {
  await assertConfigError(() => conf('include a.conf\n', { '/etc/keepalived/a.conf': '\n\ninclude keepalived.conf\n' }), {
    file: '/etc/keepalived/a.conf',
    line: 3,
    key: 'include',
    message: /Include cycle: \/etc\/keepalived\/keepalived\.conf -> \/etc\/keepalived\/a\.conf -> \/etc\/keepalived\/keepalived\.conf/,
  });
});

test('errors inside an included file name that file and line', async () => {
  await assertConfigError(() => conf('include bad.conf\n', { '/etc/keepalived/bad.conf': instance('X', 1).replace(' interface', ' priority 300\n interface') }), {
    file: '/etc/keepalived/bad.conf',
    line: 2,
    key: 'priority',
    message: /Priority 300 is out of range/,
  });
});

test('include needs exactly one file name', async () => {
  await assertConfigError(() => conf('include\n'), { line: 1, message: /needs a file name/ });
  await assertConfigError(() => conf('include a b\n'), { line: 1, message: /Unexpected "b"/ });
});

test('brace expansion', () => {
  assert.deepEqual(expandBraces('a{b,c{d,e}}f'), ['abf', 'acdf', 'acef']);
  assert.deepEqual(expandBraces('x{}y'), ['x{}y']);
  assert.deepEqual(expandBraces('{a,b}{1,2}'), ['a1', 'a2', 'b1', 'b2']);
  assert.deepEqual(expandBraces('plain'), ['plain']);
});

test('glob patterns: *, ?, [...], [!...], wildcard directories', async () => {
  const files = memoryFiles({ '/c/a1.conf': '', '/c/a2.conf': '', '/c/b1.conf': '', '/c/x/d.conf': '', '/c/y/d.conf': '' });
  assert.deepEqual(await globFiles('/c/a?.conf', files.listDirectory), ['/c/a1.conf', '/c/a2.conf']);
  assert.deepEqual(await globFiles('/c/[ab]1.conf', files.listDirectory), ['/c/a1.conf', '/c/b1.conf']);
  assert.deepEqual(await globFiles('/c/[!a]*.conf', files.listDirectory), ['/c/b1.conf']);
  assert.deepEqual(await globFiles('/c/*/d.conf', files.listDirectory), ['/c/x/d.conf', '/c/y/d.conf']);
  assert.deepEqual(await globFiles('/c/*', files.listDirectory), ['/c/a1.conf', '/c/a2.conf', '/c/b1.conf']);
  assert.deepEqual(await globFiles('/none/*', files.listDirectory), []);
});
