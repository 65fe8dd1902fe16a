/**
 * The YAML format is strict: unknown keys (with "did you mean"), wrong types, bad durations and
 * unknown check types are errors naming the key path and the line.
 */
import { test } from 'node:test';
import { assertConfigError, instanceYaml, yaml, YAML_FILE } from './helpers.js';

interface Row {
  title: string;
  text: string;
  line: number;
  key?: string;
  message: RegExp;
}

const inInstance = (title: string, body: string, line: number, key: string, message: RegExp): Row => ({ title, text: instanceYaml(body), line, key, message });

const rows: Row[] = [
  { title: 'invalid YAML', text: 'instances: [\n', line: 2, message: /Invalid YAML/ },
  { title: 'duplicate keys', text: 'global: {}\nglobal: {}\n', line: 2, message: /Invalid YAML: Map keys must be unique/ },
  { title: 'unknown top-level key', text: 'instance:\n  a: {}\n', line: 1, key: 'instance', message: /Unknown key "instance" \(did you mean 'instances'\?\); known keys here: global, instances, checks, syncGroups/ },
  { title: 'keepalived name at top level', text: 'vrrp_instance: {}\n', line: 1, key: 'vrrp_instance', message: /did you mean 'instances'/ },
  { title: 'top level not a mapping', text: '- a\n', line: 1, key: '', message: /Expected a mapping, got a list/ },
  inInstance('misspelt instance key', '    priorty: 200', 6, 'instances.web.priorty', /Unknown key "priorty" \(did you mean 'priority'\?\)/),
  inInstance('keepalived keyword in an instance', '    virtual_router_id: 5', 6, 'instances.web.virtual_router_id', /did you mean 'vrid'/),
  inInstance('unknown key without a near miss', '    colour: blue', 6, 'instances.web.colour', /Unknown key "colour"; known keys here: interface, vrid/),
  { title: 'interface name too long', text: 'instances:\n  a: { interface: abcdefghijklmnopq, vrid: 1 }\n', line: 2, key: 'instances.a.interface', message: /is not an interface name/ },
  inInstance('priority as a string', '    priority: high', 6, 'instances.web.priority', /Expected an integer, got string "high"/),
  inInstance('priority as a float', '    priority: 1.5', 6, 'instances.web.priority', /Expected an integer, got number 1.5/),
  inInstance('priority out of range', '    priority: 0', 6, 'instances.web.priority', /Priority 0 is out of range: expected an integer 1\.\.255/),
  inInstance('preempt as a string', '    preempt: yes', 6, 'instances.web.preempt', /Expected true or false, got string "yes"/),
  inInstance('version 4', '    version: 4', 6, 'instances.web.version', /Expected VRRP version 2 or 3, got number 4/),
  inInstance('initialState unknown', '    initialState: primary', 6, 'instances.web.initialState', /Expected one of MASTER, BACKUP/),
  inInstance('duration without unit', '    advertInterval: "2"', 6, 'instances.web.advertInterval', /Expected a duration such as "100ms", "1s", "2m"/),
  inInstance('duration with a bad unit', '    advertInterval: 2h', 6, 'instances.web.advertInterval', /Expected a duration/),
  inInstance('negative duration', '    advertInterval: -5', 6, 'instances.web.advertInterval', /Expected a duration/),
  inInstance('v2 interval too long', '    advertInterval: 5m', 6, 'instances.web.advertInterval', /out of range for VRRP version 2/),
  inInstance('numeric password', '    auth:\n      password: 1234', 7, 'instances.web.auth.password', /Expected a quoted string \(a password like 1234 must be written "1234"\), got number 1234/),
  inInstance('auth without password', '    auth: {}', 6, 'instances.web.auth', /Missing "password"/),
  inInstance('auth with version 3', '    version: 3\n    auth: { password: x }', 7, 'instances.web.auth.password', /Authentication is VRRP version 2 only/),
  inInstance('vip object without address', '    excludedVips:\n      - { device: eth0 }', 7, 'instances.web.excludedVips[0]', /Missing "address"/),
  inInstance('vip object unknown key', '    excludedVips:\n      - { address: 192.0.2.3, dev: eth0 }', 7, 'instances.web.excludedVips[0].dev', /Unknown key "dev" \(did you mean 'device'\?\)/),
  inInstance('vip string with a bad option', '    excludedVips: ["192.0.2.3 via eth0"]', 6, 'instances.web.excludedVips[0]', /Unknown address option "via"/),
  inInstance('vip prefix twice', '    excludedVips:\n      - { address: 192.0.2.3/24, prefix: 24 }', 7, 'instances.web.excludedVips[0].prefix', /Prefix given twice/),
  inInstance('vips not a list', '    excludedVips: 192.0.2.3', 6, 'instances.web.excludedVips', /Expected a list, got string "192.0.2.3"/),
  inInstance('unknown unicast key', '    unicast: { peer: [192.0.2.2] }', 6, 'instances.web.unicast.peer', /did you mean 'peers'/),
  inInstance('unknown track key', '    track: { scripts: [a] }', 6, 'instances.web.track.scripts', /did you mean 'checks'/),
  inInstance('unknown notify key', '    notify: { mastr: /bin/x }', 6, 'instances.web.notify.mastr', /did you mean 'master'/),
  inInstance('unknown garp key', '    garp: { delay: 1s }', 6, 'instances.web.garp.delay', /did you mean 'masterDelay'/),
  inInstance('tracked interface object without a name', '    track:\n      interfaces: [{ weight: 5 }]', 7, 'instances.web.track.interfaces[0]', /Missing "name"/),
  inInstance('unknown tracked check', '    track:\n      checks: [nope]', 7, 'instances.web.track.checks[0]', /tracks check "nope", which is not defined/),
  { title: 'instance list entry without a name', text: 'instances:\n  - interface: eth0\n', line: 2, key: 'instances[0]', message: /Missing "name"/ },
  { title: 'instances not a collection', text: 'instances: 5\n', line: 1, key: 'instances', message: /Expected a mapping of names to settings, or a list of settings with "name"/ },
  { title: 'check without type', text: 'checks:\n  c: { command: /bin/true }\n', line: 2, key: 'checks.c', message: /Missing "type" \(known types: exec, http, tcp, process, file, interface\)/ },
  { title: 'unknown check type', text: 'checks:\n  c:\n    type: ping\n    host: 192.0.2.1\n', line: 3, key: 'checks.c.type', message: /Unknown check type "ping": known types are exec, http, tcp, process, file, interface/ },
  { title: 'key of another check type', text: 'checks:\n  c:\n    type: http\n    command: /bin/true\n', line: 4, key: 'checks.c.command', message: /Key "command" does not apply to checks of type "http" \(their keys: url, expectStatus, bodyRegex, tlsVerify, hostHeader, interval/ },
  { title: 'keepalived keyword in a check', text: 'checks:\n  c: { type: file, file: /run/f }\n', line: 2, key: 'checks.c.file', message: /did you mean 'path'/ },
  { title: 'unknown check key', text: 'checks:\n  c: { type: exec, comand: /bin/true }\n', line: 2, key: 'checks.c.comand', message: /did you mean 'command'/ },
  { title: 'check without command', text: 'checks:\n  c: { type: exec, interval: 1s }\n', line: 2, key: 'checks.c.command', message: /Check "c" has no command/ },
  { title: 'check with an empty command string', text: 'checks:\n  c: { type: exec, command: "  " }\n', line: 2, key: 'checks.c.command', message: /Check "c" has an empty command/ },
  { title: 'check user with a blank', text: 'checks:\n  c: { type: exec, command: /bin/true, user: "no body" }\n', line: 2, key: 'checks.c.user', message: /"no body" is not a user name/ },
  { title: 'check weight 255', text: 'checks:\n  c: { type: exec, command: /bin/true, weight: 255 }\n', line: 2, key: 'checks.c.weight', message: /Weight 255 is out of range: expected an integer -254\.\.254/ },
  { title: 'check weight -255', text: 'checks:\n  c: { type: tcp, host: h, port: 1, weight: -255 }\n', line: 2, key: 'checks.c.weight', message: /Weight -255 is out of range/ },
  { title: 'check rise 0', text: 'checks:\n  c: { type: tcp, host: h, port: 1, rise: 0 }\n', line: 2, key: 'checks.c.rise', message: /Rise 0 is out of range: expected an integer 1\.\./ },
  { title: 'check fall 0', text: 'checks:\n  c: { type: tcp, host: h, port: 1, fall: 0 }\n', line: 2, key: 'checks.c.fall', message: /Fall 0 is out of range/ },
  { title: 'check timeout 0', text: 'checks:\n  c: { type: tcp, host: h, port: 1, timeout: 0ms }\n', line: 2, key: 'checks.c.timeout', message: /Timeout 0 ms is out of range/ },
  { title: 'check interval not a duration', text: 'checks:\n  c: { type: tcp, host: h, port: 1, interval: fast }\n', line: 2, key: 'checks.c.interval', message: /Expected a duration/ },
  { title: 'http without url', text: 'checks:\n  c: { type: http }\n', line: 2, key: 'checks.c.url', message: /Check "c" has no URL/ },
  { title: 'http url not a URL', text: 'checks:\n  c: { type: http, url: "localhost:8080/" }\n', line: 2, key: 'checks.c.url', message: /URL "localhost:8080\/" is not http:\/\/ or https:\/\// },
  { title: 'http url unparseable', text: 'checks:\n  c: { type: http, url: "http://exa mple/" }\n', line: 2, key: 'checks.c.url', message: /"http:\/\/exa mple\/" is not a URL/ },
  { title: 'http url of another protocol', text: 'checks:\n  c: { type: http, url: "ftp://192.0.2.1/" }\n', line: 2, key: 'checks.c.url', message: /is not http:\/\/ or https:\/\// },
  { title: 'http url port 0', text: 'checks:\n  c: { type: http, url: "http://127.0.0.1:0/" }\n', line: 2, key: 'checks.c.url', message: /port 0/ },
  { title: 'http url port out of range', text: 'checks:\n  c: { type: http, url: "http://127.0.0.1:70000/" }\n', line: 2, key: 'checks.c.url', message: /is not a URL/ },
  { title: 'http status 600', text: 'checks:\n  c: { type: http, url: "http://h/", expectStatus: 600 }\n', line: 2, key: 'checks.c.expectStatus', message: /HTTP status 600 is out of range: expected 100\.\.599/ },
  { title: 'http status range backwards', text: 'checks:\n  c:\n    type: http\n    url: "http://h/"\n    expectStatus: "299-200"\n', line: 5, key: 'checks.c.expectStatus', message: /HTTP status range 299-200 runs backwards/ },
  { title: 'http status not a status', text: 'checks:\n  c:\n    type: http\n    url: "http://h/"\n    expectStatus: [200, ok]\n', line: 5, key: 'checks.c.expectStatus[1]', message: /Expected an HTTP status \(200\), a range/ },
  { title: 'http empty status list', text: 'checks:\n  c: { type: http, url: "http://h/", expectStatus: [] }\n', line: 2, key: 'checks.c.expectStatus', message: /at least one HTTP status/ },
  { title: 'http body regex that does not compile', text: 'checks:\n  c:\n    type: http\n    url: "http://h/"\n    bodyRegex: "(ok"\n', line: 5, key: 'checks.c.bodyRegex', message: /Body regex does not compile: .*Unterminated group/ },
  { title: 'http host header with a line break', text: 'checks:\n  c: { type: http, url: "http://h/", hostHeader: "a\\r\\nX-Evil: 1" }\n', line: 2, key: 'checks.c.hostHeader', message: /is not a host name for the Host header/ },
  { title: 'http tlsVerify not a boolean', text: 'checks:\n  c: { type: http, url: "https://h/", tlsVerify: "no" }\n', line: 2, key: 'checks.c.tlsVerify', message: /Expected true or false/ },
  { title: 'tcp without port', text: 'checks:\n  c: { type: tcp, host: 127.0.0.1 }\n', line: 2, key: 'checks.c.port', message: /Check "c" has no port/ },
  { title: 'tcp without host', text: 'checks:\n  c: { type: tcp, port: 80 }\n', line: 2, key: 'checks.c.host', message: /Check "c" has no host/ },
  { title: 'tcp port 0', text: 'checks:\n  c: { type: tcp, host: 127.0.0.1, port: 0 }\n', line: 2, key: 'checks.c.port', message: /Port 0 is out of range: expected an integer 1\.\.65535/ },
  { title: 'tcp port 65536', text: 'checks:\n  c: { type: tcp, host: 127.0.0.1, port: 65536 }\n', line: 2, key: 'checks.c.port', message: /Port 65536 is out of range/ },
  { title: 'tcp host with a blank', text: 'checks:\n  c: { type: tcp, host: "db server", port: 5432 }\n', line: 2, key: 'checks.c.host', message: /"db server" is not an IP address or host name/ },
  { title: 'process without what to look for', text: 'checks:\n  c: { type: process, quorum: 2 }\n', line: 2, key: 'checks.c.process', message: /Check "c" has no process name, command line or PID file/ },
  { title: 'process with two ways to look', text: 'checks:\n  c:\n    type: process\n    process: java\n    commandLine: java -jar x.jar\n', line: 5, key: 'checks.c.commandLine', message: /a process name, a command line or a PID file, not several/ },
  { title: 'process name given as a path', text: 'checks:\n  c: { type: process, process: /usr/bin/java }\n', line: 2, key: 'checks.c.process', message: /is a path/ },
  { title: 'process name key named "name" in the map form', text: 'checks:\n  c: { type: process, name: java }\n', line: 2, key: 'checks.c.name', message: /did you mean 'process'/ },
  { title: 'process pidFile relative', text: 'checks:\n  c: { type: process, pidFile: run/x.pid }\n', line: 2, key: 'checks.c.pidFile', message: /PID file "run\/x\.pid" is not an absolute path/ },
  { title: 'process pidFile with a quorum above 1', text: 'checks:\n  c: { type: process, pidFile: /run/x.pid, quorum: 2 }\n', line: 2, key: 'checks.c.quorum', message: /Quorum 2 cannot be met: a PID file names one process/ },
  { title: 'process quorum 0', text: 'checks:\n  c: { type: process, process: java, quorum: 0 }\n', line: 2, key: 'checks.c.quorum', message: /Quorum 0 is out of range/ },
  { title: 'file without path', text: 'checks:\n  c: { type: file }\n', line: 2, key: 'checks.c.path', message: /Check "c" has no file/ },
  { title: 'file path relative', text: 'checks:\n  c: { type: file, path: maint }\n', line: 2, key: 'checks.c.path', message: /File "maint" is not an absolute path/ },
  { title: 'interface without name', text: 'checks:\n  c: { type: interface }\n', line: 2, key: 'checks.c.interface', message: /Check "c" has no interface/ },
  { title: 'interface name too long', text: 'checks:\n  c: { type: interface, interface: abcdefghijklmnopq }\n', line: 2, key: 'checks.c.interface', message: /is not an interface name/ },
  {
    title: 'duplicate check names in list form',
    text: 'checks:\n  - { name: a, type: file, path: /run/a }\n  - { name: a, type: tcp, host: h, port: 1 }\n',
    line: 3,
    key: 'name',
    message: /Check "a" is already defined at \/etc\/hotstandby\/hotstandby\.yaml:2 as a file check/,
  },
  inInstance('tracked check weight 255', '    track: [{ name: c, weight: 255 }]', 6, 'instances.web.track[0]', /Weight 255 is out of range: expected an integer -254\.\.254/),
  inInstance('unknown check in a track list', '    track: [nope]', 6, 'instances.web.track[0]', /tracks check "nope", which is not defined/),
  inInstance('track list item without a name', '    track: [{ weight: 2 }]', 6, 'instances.web.track[0]', /Missing "name"/),
  inInstance('notify command that does not split', '    notify: { master: "/bin/x \'a" }', 6, 'instances.web.notify.master', /Unterminated single quote/),
  { title: 'startupDelay not a duration', text: 'global:\n  startupDelay: soon\n', line: 2, key: 'global.startupDelay', message: /Expected a duration/ },
  { title: 'notifyFifo relative', text: 'global:\n  notifyFifo: hs.fifo\n', line: 2, key: 'global.notifyFifo', message: /Notify FIFO "hs\.fifo" is not an absolute path/ },
  { title: 'notifyFifoScript empty command', text: 'global:\n  notifyFifo: /run/hs.fifo\n  notifyFifoScript: "\'\'"\n', line: 3, key: 'global.notifyFifoScript', message: /Empty command line/ },
  { title: 'check with an empty command list', text: 'checks:\n  c: { type: exec, command: [] }\n', line: 2, key: 'checks.c.command', message: /empty list/ },
  { title: 'check command with an open quote', text: 'checks:\n  c: { type: exec, command: "/bin/x \'a" }\n', line: 2, key: 'checks.c.command', message: /Unterminated single quote/ },
  { title: 'check interval 0', text: 'checks:\n  c: { type: exec, command: /bin/true, interval: 0 }\n', line: 2, key: 'checks.c.interval', message: /Interval 0 ms is out of range/ },
  { title: 'unknown global key', text: 'global:\n  router_id: x\n', line: 2, key: 'global.router_id', message: /did you mean 'routerId'/ },
  { title: 'global multicast group not multicast', text: 'global:\n  multicastGroup4: 192.0.2.1\n', line: 2, key: 'global.multicastGroup4', message: /not an IPv4 multicast address/ },
  { title: 'global garp key of instances only', text: 'global:\n  garp: { naIntervall: 1ms }\n', line: 2, key: 'global.garp.naIntervall', message: /did you mean 'naInterval'/ },
  { title: 'sync group with an unknown instance', text: `syncGroups:\n  g: { instances: [web, db] }\n${instanceYaml('')}`, line: 2, key: 'syncGroups.g.instances[1]', message: /names instance "db", which is not defined/ },
  { title: 'sync group unknown key', text: 'syncGroups:\n  g: { members: [a] }\n', line: 2, key: 'syncGroups.g.members', message: /did you mean 'instances'/ },
  {
    title: 'duplicate instance names in list form',
    text: 'instances:\n  - { name: a, interface: eth0, vrid: 1, vips: [192.0.2.1] }\n  - { name: a, interface: eth0, vrid: 2, vips: [192.0.2.2] }\n',
    line: 3,
    key: 'name',
    message: /Instance "a" is already defined at \/etc\/hotstandby\/hotstandby\.yaml:2/,
  },
  {
    title: 'mixed families in the advertised addresses',
    text: instanceYaml('    excludedVips: [2001:db8::2]').replace('vips: [192.0.2.10]', 'vips: [192.0.2.10, 2001:db8::1]'),
    line: 5,
    message: /IPv6 address 2001:db8::1 is mixed with IPv4 addresses/,
  },
];

for (const row of rows) {
  test(`YAML error: ${row.title}`, async () => {
    await assertConfigError(() => yaml(row.text), {
      file: YAML_FILE,
      line: row.line,
      ...(row.key === undefined ? {} : { key: row.key }),
      message: row.message,
    });
  });
}
