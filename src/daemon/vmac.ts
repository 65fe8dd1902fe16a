/**
 * keepalived's use_vmac: one macvlan (mode private) per instance on its interface, carrying the
 * virtual router MAC, created at start and deleted at stop. The VIPs go on it, and gratuitous
 * ARPs and (without vmac_xmit_base) adverts go out of it, so the MAC clients learn for a VIP is
 * the same whichever node is master.
 *
 * keepalived 2.2.7 also sets, as seen on its interfaces: on the base interface arp_ignore=1 and
 * arp_filter=1 (the base does not answer ARP for the VIPs on the VMAC with its own MAC), to which
 * hotstandby adds arp_announce=2 (see BASE_SETTINGS); on the
 * VMAC arp_ignore=1, accept_local=1, promote_secondaries=1, no IPv6 (no router solicitations or
 * MLD from the shared MAC) and no generated IPv6 link-local.
 */
import { writeFile } from 'node:fs/promises';
import type { InstanceConfig } from '../config/model.js';
import { ConfigError } from '../config/config-error.js';
import type { LinkInfo } from '../net/netlink/link.js';
import type { MacvlanSpec } from '../net/netlink/macvlan.js';
import type { Logger } from '../ports/index.js';

/** What the VMACs need from rtnetlink. */
export interface LinkTable {
  link(name: string): Promise<LinkInfo | undefined>;
  createMacvlan(spec: MacvlanSpec): Promise<'added' | 'exists'>;
  setLinkUp(index: number, up: boolean): Promise<void>;
  deleteLink(index: number): Promise<void>;
}

/** Writes one interface sysctl (net.ipv4.conf.IF.NAME and the like); injectable for tests. */
export type SysctlWriter = (path: string, value: string) => Promise<void>;

export const procSysctl: SysctlWriter = (path, value) => writeFile(`/proc/sys/${path}`, value);

const BASE_SETTINGS: ReadonlyArray<[string, string]> = [
  ['ipv4/conf/%/arp_ignore', '1'],
  ['ipv4/conf/%/arp_filter', '1'],
  // Not keepalived's: replies from a VIP leave through the base interface (its prefix route comes
  // first), and an ARP request it sends "tell VIP" from the base MAC would re-point the client's
  // entry for the VIP at the base MAC (seen with keepalived 2.2.7 in the lab). With 2 the base
  // asks with its own address, so clients keep the virtual MAC.
  ['ipv4/conf/%/arp_announce', '2'],
];
const VMAC_SETTINGS: ReadonlyArray<[string, string]> = [
  ['ipv4/conf/%/arp_ignore', '1'],
  ['ipv4/conf/%/accept_local', '1'],
  ['ipv4/conf/%/promote_secondaries', '1'],
  ['ipv6/conf/%/disable_ipv6', '1'],
];

export class Vmacs {
  /** VMACs this daemon created or took over, deleted by close(). */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly links: LinkTable,
    private readonly log: Logger,
    private readonly sysctl: SysctlWriter = procSysctl,
  ) {}

  /**
   * Creates (or takes over, when a VMAC of that name and MAC is left from an earlier run) the
   * VMAC of every instance that has one. Throws ConfigError for a name taken by another interface.
   */
  async ensure(instances: readonly InstanceConfig[]): Promise<void> {
    for (const instance of instances) {
      const vmac = instance.vmac;
      if (!vmac || this.held.has(vmac.name)) continue;
      const base = await this.links.link(instance.interface);
      if (!base) throw new ConfigError(`interface '${instance.interface}' does not exist on this host`, instance.source, 'interface');
      const existing = await this.links.link(vmac.name);
      if (existing && existing.mac !== vmac.mac) {
        throw new ConfigError(`interface '${vmac.name}' exists and is not this instance's VMAC (MAC ${existing.mac ?? 'none'}, not ${vmac.mac})`, instance.source, 'use_vmac');
      }
      if (!existing) await this.links.createMacvlan({ name: vmac.name, parentIndex: base.index, mac: vmac.mac, mode: 'private' });
      const link = existing ?? (await this.links.link(vmac.name));
      if (!link) throw new Error(`VMAC '${vmac.name}' vanished right after it was created`);
      this.held.set(vmac.name, link.index);
      await this.settings(base.name, BASE_SETTINGS);
      await this.settings(vmac.name, VMAC_SETTINGS);
      await this.links.setLinkUp(link.index, true);
      this.log.log('info', existing ? 'took over the VMAC left by an earlier run' : 'created VMAC', { vmac: vmac.name, mac: vmac.mac, on: base.name });
    }
  }

  /** Deletes the VMACs (the VIPs on them go with them). */
  async close(): Promise<void> {
    for (const [name, index] of this.held) {
      try {
        await this.links.deleteLink(index);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENODEV') this.log.log('warn', 'cannot delete VMAC', { vmac: name, error: String(err) });
      }
    }
    this.held.clear();
  }

  private async settings(name: string, settings: ReadonlyArray<[string, string]>): Promise<void> {
    for (const [template, value] of settings) {
      const path = `net/${template.replace('%', name)}`;
      try {
        await this.sysctl(path, value);
      } catch (err) {
        this.log.log('warn', 'cannot set interface sysctl for the VMAC', { sysctl: path, value, error: String(err) });
      }
    }
  }
}
