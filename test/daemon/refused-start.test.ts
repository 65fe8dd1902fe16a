import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeLeftoverVips, type LeftoverTable } from '../../src/daemon/refused-start.js';
import { PID_FILE_NAME } from '../../src/daemon/runtime-dir.js';
import { replay, VIP_LEDGER_FILE } from '../../src/daemon/vip-ledger.js';
import type { Logger } from '../../src/ports/index.js';
import type { VipAddressSpec } from '../../src/daemon/vip-holder.js';

/** The kernel's addresses by ifindex, answering like rtnetlink (a delete must name the prefix length). */
class KernelTable implements LeftoverTable {
  readonly present = new Map<number, Array<{ address: string; family: 4 | 6; prefixLength: number }>>();
  readonly deletes: string[] = [];
  failDelete: string | undefined;
  closed = false;
  async addresses(filter: { index: number }) {
    return this.present.get(filter.index) ?? [];
  }
  async deleteAddress(spec: VipAddressSpec): Promise<void> {
    this.deletes.push(`${spec.ifindex} ${spec.address}/${spec.prefixLength}`);
    if (spec.address === this.failDelete) throw Object.assign(new Error('Operation not permitted'), { code: 'EPERM' });
    const list = this.present.get(spec.ifindex) ?? [];
    const i = list.findIndex((a) => a.address === spec.address && a.prefixLength === spec.prefixLength);
    if (i < 0) throw Object.assign(new Error('gone'), { code: 'EADDRNOTAVAIL' });
    list.splice(i, 1);
  }
  close(): void {
    this.closed = true;
  }
}

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
    child: () => log,
  };
  return log;
}

function runtimeDirWith(ledger: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-refused-'));
  if (ledger !== undefined) writeFileSync(join(dir, VIP_LEDGER_FILE), ledger);
  return dir;
}

test('a refused start removes the VIPs the record says an earlier run added, with their own prefix length, and logs each', async () => {
  // The killed run added two VIPs, removed a third, and its record of a fourth outlived the address.
  const dir = runtimeDirWith('+2 10.0.0.10\n+2 fd00::10\n+2 10.0.0.11\n-2 10.0.0.11\n+3 10.0.1.10\n');
  try {
    const table = new KernelTable();
    table.present.set(2, [
      { address: '10.0.0.1', family: 4, prefixLength: 24 }, // the node's own address: not recorded, never touched
      { address: '10.0.0.10', family: 4, prefixLength: 24 },
      { address: 'fd00::10', family: 6, prefixLength: 64 },
      { address: '10.0.0.11', family: 4, prefixLength: 24 }, // added by hand after the run removed it
    ]);
    const lines: string[] = [];
    const removed = await removeLeftoverVips({ runtimeDir: dir, openTable: () => table, log: recordingLogger(lines) });
    assert.deepEqual(removed.sort(), ['10.0.0.10 on ifindex 2', 'fd00::10 on ifindex 2']);
    assert.deepEqual(table.deletes.sort(), ['2 10.0.0.10/24', '2 fd00::10/64']);
    assert.deepEqual(table.present.get(2)?.map((a) => a.address), ['10.0.0.1', '10.0.0.11']);
    assert.equal(lines.filter((l) => l.startsWith('warn start refused: removed a VIP')).length, 2, lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('"vip":"fd00::10"')));
    assert.deepEqual([...replay(readFileSync(join(dir, VIP_LEDGER_FILE), 'utf8'))], [], 'the record is empty afterwards');
    assert.ok(table.closed, 'the netlink socket is closed');
    assert.ok(!existsSync(join(dir, PID_FILE_NAME)), 'the runtime directory is left unclaimed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a refused start leaves everything alone while another live daemon owns the runtime directory', async () => {
  const dir = runtimeDirWith('+2 10.0.0.10\n');
  try {
    // "another hotstandby is running": its VIPs are its own.
    writeFileSync(join(dir, PID_FILE_NAME), `${process.ppid}\n`);
    const table = new KernelTable();
    table.present.set(2, [{ address: '10.0.0.10', family: 4, prefixLength: 24 }]);
    let opened = false;
    const removed = await removeLeftoverVips({ runtimeDir: dir, openTable: () => ((opened = true), table), log: recordingLogger([]) });
    assert.deepEqual(removed, []);
    assert.equal(opened, false);
    assert.equal(table.present.get(2)?.length, 1);
    assert.equal(readFileSync(join(dir, PID_FILE_NAME), 'utf8'), `${process.ppid}\n`, 'the other daemon keeps its pid file');
    assert.equal(readFileSync(join(dir, VIP_LEDGER_FILE), 'utf8'), '+2 10.0.0.10\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a refused start with nothing recorded opens nothing; one that cannot remove a VIP keeps it recorded and says why', async () => {
  const empty = runtimeDirWith(undefined);
  const dir = runtimeDirWith('+2 10.0.0.10\n+2 10.0.0.12\n');
  try {
    const none = await removeLeftoverVips({ runtimeDir: empty, openTable: () => assert.fail('no record: netlink is not needed'), log: recordingLogger([]) });
    assert.deepEqual(none, []);
    assert.ok(!existsSync(join(empty, VIP_LEDGER_FILE)), 'no record file is created');

    const table = new KernelTable();
    table.present.set(2, [
      { address: '10.0.0.10', family: 4, prefixLength: 24 },
      { address: '10.0.0.12', family: 4, prefixLength: 24 },
    ]);
    table.failDelete = '10.0.0.12';
    const lines: string[] = [];
    const removed = await removeLeftoverVips({ runtimeDir: dir, openTable: () => table, log: recordingLogger(lines) });
    assert.deepEqual(removed, ['10.0.0.10 on ifindex 2']);
    assert.deepEqual([...replay(readFileSync(join(dir, VIP_LEDGER_FILE), 'utf8'))], ['2 10.0.0.12'], 'the next start tries again');
    assert.ok(lines.some((l) => l.startsWith('error start refused: cannot remove') && l.includes('Operation not permitted')), lines.join('\n'));

    // The native addon (or netlink) itself failing is logged, never thrown over the start's own error.
    const failing = await removeLeftoverVips({ runtimeDir: dir, openTable: () => { throw new Error('addon missing'); }, log: recordingLogger(lines) });
    assert.deepEqual(failing, []);
    assert.ok(lines.some((l) => l.includes('addon missing')));
  } finally {
    rmSync(empty, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
