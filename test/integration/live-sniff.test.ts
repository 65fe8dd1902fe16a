/**
 * `hotstandby sniff --interface` on a live LAN: from a bystander (the client), it prints the
 * master's adverts as they pass, in the same JSON shape as the capture-file mode — checked
 * against `sniff --pcap` of a tcpdump capture taken at the same time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, tcpdumpUnavailableReason, waitFor } from '../../src/lab/index.js';
import { packageRoot } from '../../src/lab/environment.js';
import { HotstandbyNode, holders, keepalivedConf, withLabLogs, type InstanceSpec } from './support.js';

const skip = labUnavailableReason() ?? tcpdumpUnavailableReason() ?? nativeAddonUnavailableReason();

const COMMON_FIELDS = ['time', 'src', 'dst', 'ttl', 'version', 'type', 'vrid', 'priority', 'intervalMs', 'addresses'];
/** The `--json` keys in their order; v2 adds its authentication fields (see sniff-format.ts). */
const V3_FIELDS = [...COMMON_FIELDS, 'checksumOk', 'verdict'];
const V2_FIELDS = [...COMMON_FIELDS, 'authType', 'authData', 'checksumOk', 'verdict'];

function hotstandbyCommand(...args: string[]): string[] {
  return [process.execPath, join(packageRoot(), 'bin', 'hotstandby'), ...args];
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const variants: Array<{ name: string; spec: (vip: string) => Omit<InstanceSpec, 'priority'>; fields: string[]; extra: Record<string, unknown> }> = [
  {
    name: 'v3, advert_int 0.1',
    spec: (vip) => ({ version: 3, advertInt: 0.1, vips: [`${vip}/24`], vrid: 42 }),
    fields: V3_FIELDS,
    extra: { version: 3, vrid: 42, intervalMs: 100 },
  },
  {
    name: 'v2 with PASS authentication, advert_int 1',
    spec: (vip) => ({ version: 2, advertInt: 1, vips: [`${vip}/24`], vrid: 42, authPass: 'sniffpw' }),
    fields: V2_FIELDS,
    extra: { version: 2, vrid: 42, intervalMs: 1000, authType: 1, authData: 'sniffpw' },
  },
];

for (const variant of variants) {
  test(`live sniff in a bystander prints the master's adverts like the pcap mode: ${variant.name}`, { skip }, async (t) => {
    const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
    t.after(() => lab.destroy());
    await withLabLogs(t, lab, async () => {
      const vip = lab.vip4(0);
      const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...variant.spec(vip), priority: 150 }));
      const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...variant.spec(vip), priority: 100 }));
      await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a (priority 150) only' });
      await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
      assert.equal(await a.state(), 'MASTER');

      const capture = await lab.capture('client', 'proto 112');
      const startedAt = Date.now() / 1000;
      const { stdout } = await lab.exec('client', hotstandbyCommand('sniff', '--interface', 'eth0', '--json', '--count', '5'), { timeoutMs: 20_000 });
      const endedAt = Date.now() / 1000;
      const live = jsonLines(stdout);
      const fromFile = jsonLines((await lab.exec('client', hotstandbyCommand('sniff', '--pcap', await capture.stop(), '--json'))).stdout);

      assert.equal(live.length, 5, `five lines for --count 5:\n${stdout}`);
      for (const record of live) {
        assert.deepEqual(Object.keys(record), variant.fields, 'the field set and order of the pcap mode');
        assert.deepEqual(
          { src: record.src, dst: record.dst, ttl: record.ttl, priority: record.priority, addresses: record.addresses, checksumOk: record.checksumOk, verdict: record.verdict, type: record.type },
          { src: lab.host('a').ipv4, dst: '224.0.0.18', ttl: 255, priority: 150, addresses: [vip], checksumOk: true, verdict: 'ok', type: 1 },
        );
        for (const [key, value] of Object.entries(variant.extra)) assert.deepEqual(record[key], value, key);
        const time = record.time as number;
        assert.ok(time >= startedAt - 1 && time <= endedAt + 1, `time ${time} lies within the run (${startedAt}…${endedAt})`);
      }
      const times = live.map((record) => record.time as number);
      assert.deepEqual([...times].sort((x, y) => x - y), times, 'printed as they arrive');

      // tcpdump saw the same adverts: the pcap mode prints every one of them with the same keys and values.
      assert.ok(fromFile.length >= 5, `the capture holds ${fromFile.length} adverts`);
      const withoutTime = ({ time: _time, ...rest }: Record<string, unknown>) => rest;
      for (const record of fromFile) assert.deepEqual(Object.keys(record), variant.fields, 'pcap mode field set');
      const fileRecords = new Set(fromFile.map((record) => JSON.stringify(withoutTime(record))));
      for (const record of live) assert.ok(fileRecords.has(JSON.stringify(withoutTime(record))), `live record also in the pcap mode: ${JSON.stringify(record)}`);
    });
  });
}
