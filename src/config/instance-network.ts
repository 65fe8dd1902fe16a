/**
 * What an instance puts on the network besides its VIPs, with keepalived 2.2.7's semantics:
 * virtual_routes and virtual_rules (added and removed with the VIPs), use_vmac / vmac_xmit_base
 * (a macvlan with the virtual router MAC carries the VIPs) and dont_track_primary.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { ConfigError } from './config-error.js';
import type { InstanceDraft, Located } from './draft.js';
import type { SourceLocation, VipConfig } from './model.js';
import { checkInterfaceName, type WarningList } from './validate-values.js';
import type { RouteConfig, RuleConfig } from './virtual-routes.js';

export interface VmacDraft {
  name?: string;
  /** Five octets (the VRID is appended, as keepalived) or six. */
  mac?: string;
}

/** The structures the field table marks custom (fields/instance.ts: virtualRoutes, virtualRules, vmac). */
export interface InstanceNetworkDraft {
  routes: RouteConfig[];
  rules: RuleConfig[];
  vmac?: Located<VmacDraft>;
  vmacXmitBase?: Located<boolean>;
}

export interface VmacConfig {
  /** keepalived's default: "vrrp." + VRID (vmac_prefix "vrrp"). */
  name: string;
  /** RFC 5798 §7.3: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6, unless configured. */
  mac: string;
  /** vmac_xmit_base: adverts are sent and received on the base interface, not the macvlan. */
  xmitBase: boolean;
}

export interface InstanceNetworkConfig {
  /** Routes added when the VIPs go up and removed when they go down. */
  virtualRoutes: RouteConfig[];
  /** Policy rules, likewise. Every rule has a priority (see assignRulePriorities). */
  virtualRules: RuleConfig[];
  vmac?: VmacConfig;
  /** The instance goes to FAULT when its own interface is down (false: keepalived's dont_track_primary). */
  trackPrimary: boolean;
  /** keepalived strict mode (strict_mode, default vrrp_strict): applied when the file is read (strict-mode.ts). */
  strict: boolean;
}

const VMAC_PREFIX = 'vrrp';

/** The virtual router MAC of RFC 3768 §7.3 / RFC 5798 §7.3. */
export function virtualRouterMac(vrid: number, family: AddressFamily): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

function resolveMac(field: Located<VmacDraft>, vrid: number, family: AddressFamily): string {
  const text = field.value.mac;
  if (text === undefined) return virtualRouterMac(vrid, family);
  const octets = text.toLowerCase().split(':');
  if (!octets.every((o) => /^[0-9a-f]{1,2}$/.test(o)) || (octets.length !== 5 && octets.length !== 6)) {
    throw new ConfigError(`"${text}" is not a MAC address (five or six octets)`, field.source, field.key ?? 'use_vmac');
  }
  if (octets.length === 5) octets.push(vrid.toString(16));
  const mac = octets.map((o) => o.padStart(2, '0')).join(':');
  if ((parseInt(octets[0] ?? '0', 16) & 1) === 1) throw new ConfigError(`VMAC ${mac} is a multicast address`, field.source, field.key ?? 'use_vmac');
  return mac;
}

export interface NetworkContext {
  strict: boolean;
  vrid: number;
  family: AddressFamily;
  unicast: boolean;
  source: SourceLocation;
}

export function resolveInstanceNetwork(draft: InstanceDraft, context: NetworkContext, warnings: WarningList): InstanceNetworkConfig {
  const { network } = draft;
  for (const route of network.routes) for (const hop of route.nextHops) if (hop.device !== undefined) checkInterfaceName(hop.device, route.source, 'virtual_routes');
  for (const rule of network.rules) {
    for (const name of [rule.iif, rule.oif]) if (name !== undefined) checkInterfaceName(name, rule.source, 'virtual_rules');
  }
  const config: InstanceNetworkConfig = {
    virtualRoutes: network.routes,
    virtualRules: network.rules,
    trackPrimary: draft.trackPrimary?.value ?? true,
    strict: context.strict,
  };
  const vmac = network.vmac;
  if (vmac) {
    const key = vmac.key ?? 'use_vmac';
    const xmitBase = network.vmacXmitBase?.value ?? false;
    if (context.family === 6) {
      // keepalived gives an IPv6 VMAC its own link-local address (addr_gen_mode none plus a copy);
      // without that every router's VMAC would get the same EUI-64 link-local from the shared MAC.
      throw new ConfigError('use_vmac is supported for IPv4 instances only', vmac.source, key);
    }
    if (context.unicast && !xmitBase) {
      throw new ConfigError('use_vmac with unicast peers needs vmac_xmit_base (keepalived requires it too)', vmac.source, key);
    }
    const name = vmac.value.name ?? `${VMAC_PREFIX}.${context.vrid}`;
    checkInterfaceName(name, vmac.source, key);
    config.vmac = { name, mac: resolveMac(vmac, context.vrid, context.family), xmitBase };
  } else if (network.vmacXmitBase?.value) {
    warnings.add('vmac_xmit_base without use_vmac has no effect', network.vmacXmitBase.source);
  }
  return config;
}

/**
 * keepalived: with use_vmac, the VIPs of the instance's family that name no other device go on
 * the VMAC. Mutates the resolved VIPs.
 */
export function placeVipsOnVmac(vips: VipConfig[], draft: InstanceDraft, network: InstanceNetworkConfig, family: AddressFamily): void {
  if (!network.vmac) return;
  const withoutDevice = new Set(draft.vips.filter((v) => v.device === undefined).map((v) => v.address));
  for (const vip of vips) if (vip.family === family && withoutDevice.has(vip.address)) vip.device = network.vmac.name;
}
