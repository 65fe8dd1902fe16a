/** A lab with segmentation offload kept on its links (LabOptions.offloads): large frames pass, impairment is refused. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Lab, labUnavailableReason } from '../../src/lab/index.js';

const skip = labUnavailableReason() ?? false;

let lab: Lab;
before(async () => {
  if (!skip) lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false, offloads: true });
});
after(async () => {
  await lab?.destroy();
});

test('a lab with offloads keeps the link able to carry 64 KiB frames, and hosts reach each other', { skip }, async () => {
  // The one-segment link sets gso_max_size 1514; with offloads the kernel's default (64 KiB) stays.
  const { stdout } = await lab.exec('a', ['ip', '-d', 'link', 'show', 'eth0']);
  const size = Number(/gso_max_size (\d+)/.exec(stdout)?.[1]);
  assert.ok(size >= 65536, `gso_max_size is ${size}`);
  const ping = await lab.exec('a', ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', lab.host('b').ipv4]);
  assert.match(ping.stdout, /2 packets transmitted, 2 received/);
});

test('a lab with offloads refuses impairment, naming the host and the reason', { skip }, async () => {
  await assert.rejects(lab.setImpairment('a', { delayMs: 10 }), /Cannot impair a: .*offloads: true/);
});
