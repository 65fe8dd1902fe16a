/**
 * A daemon that refuses to start (a configuration or preflight error: exit 78, or any other
 * start-up failure) still removes the VIPs an earlier run left on the interfaces when it was
 * killed (kill -9: the kernel keeps them). Normally the instances remove that debris when they
 * start (vip-holder.ts releaseStale); a node that never gets that far would otherwise answer ARP
 * for the VIP beside the real master until someone fixes its configuration (seen in the
 * PostgreSQL failover lab: a restarted daemon exited 78 and its old VIP stayed up for 90 s).
 *
 * Only the record (vip-ledger.ts) is used, not the configuration, which may be what is broken:
 * an address is removed only when this runtime directory's daemon recorded adding it. Nothing is
 * done while another live daemon owns the runtime directory (its VIPs are its own).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '../ports/index.js';
import type { AddressFamily } from '../vrrp/advert.js';
import { canonicalIp } from '../vrrp/ip-address.js';
import { claimRuntimeDir } from './runtime-dir.js';
import type { AddressTable } from './vip-holder.js';
import { FileVipLedger, replay, VIP_LEDGER_FILE } from './vip-ledger.js';

/** What the clean-up needs of the kernel's address table (RtNetlink in production). */
export interface LeftoverTable {
  addresses(filter: { index: number }): Promise<Array<{ address: string; family: AddressFamily; prefixLength: number }>>;
  deleteAddress: AddressTable['deleteAddress'];
  close?(): void;
}

export interface LeftoverVipsOptions {
  runtimeDir: string;
  /** Opened only when the record names an address (the native addon may be what failed). */
  openTable: () => LeftoverTable;
  log: Logger;
}

/**
 * Removes the VIPs the record in `runtimeDir` says this daemon added and did not remove. Never
 * throws: whatever stops it is logged, and the start's own error is what the operator must see.
 * Returns the addresses removed ("address on ifindex N"), for tests.
 */
export async function removeLeftoverVips(options: LeftoverVipsOptions): Promise<string[]> {
  const { runtimeDir, log } = options;
  const removed: string[] = [];
  try {
    const dir = await claimRuntimeDir(runtimeDir).catch((err: unknown) => {
      // Another daemon runs here (or the directory is unusable): nothing of ours to remove.
      log.log('debug', 'start refused: VIPs left by an earlier run not checked', { reason: (err as Error).message });
      return undefined;
    });
    if (dir === undefined) return removed;
    try {
      const path = dir.file(VIP_LEDGER_FILE);
      if (!existsSync(path) || replay(readFileSync(path, 'utf8')).size === 0) return removed;
      const ledger = FileVipLedger.open(path);
      let table: LeftoverTable | undefined;
      try {
        table = options.openTable();
        for (const key of ledger.recorded()) {
          const gone = await removeOne(table, key, log);
          if (gone === undefined) continue;
          ledger.delete(key);
          if (gone) removed.push(gone);
        }
      } finally {
        table?.close?.();
        ledger.close();
      }
    } finally {
      await dir.close();
    }
  } catch (err) {
    log.log('error', 'start refused: cannot remove the VIPs an earlier run left on the interfaces', { error: String(err) });
  }
  return removed;
}

/**
 * Removes one recorded VIP ("ifindex address"). Returns what was removed, '' when it was not
 * there any more (struck from the record all the same), undefined when it could not be removed
 * (kept in the record for the next start).
 */
async function removeOne(table: LeftoverTable, key: string, log: Logger): Promise<string | undefined> {
  const space = key.indexOf(' ');
  const ifindex = Number(key.slice(0, space));
  const address = key.slice(space + 1);
  if (space <= 0 || !Number.isInteger(ifindex) || ifindex <= 0) return ''; // not a record this version writes
  let present;
  try {
    // The record has no prefix length, which the kernel matches on delete: take the address's own.
    present = (await table.addresses({ index: ifindex })).find((a) => canonicalIp(a.address) === canonicalIp(address));
  } catch (err) {
    log.log('error', 'start refused: cannot list the addresses of an interface with a VIP left by an earlier run', { vip: address, ifindex, error: String(err) });
    return undefined;
  }
  if (present === undefined) return '';
  try {
    await table.deleteAddress({ ifindex, family: present.family, address: present.address, prefixLength: present.prefixLength });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EADDRNOTAVAIL' || code === 'ENODEV') return '';
    log.log('error', 'start refused: cannot remove a VIP left on the interface by an earlier run', { vip: address, ifindex, error: String(err) });
    return undefined;
  }
  log.log('warn', 'start refused: removed a VIP left on the interface by an earlier run (kill -9), so that only the master answers for it', {
    vip: address,
    ifindex,
  });
  return `${address} on ifindex ${ifindex}`;
}
