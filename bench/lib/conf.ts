/**
 * keepalived.conf text for the benchmark: a pair's single instance comes from the integration
 * tests' keepalivedConf (the same text the interop tests use); the scale row needs many instances.
 */
export { keepalivedConf, type InstanceSpec } from '../../test/integration/support.js';

export interface ManyInstancesSpec {
  count: number;
  version: 2 | 3;
  advertInt: number;
  priority: number;
  /** The virtual address (with prefix length) of VRID `vrid` (1…count). */
  vipOf: (vrid: number) => string;
  iface?: string;
}

/** `count` instances VI_1…VI_<count>, VRIDs 1…count, one VIP each, on one interface. */
export function manyInstancesConf(spec: ManyInstancesSpec): string {
  if (!Number.isInteger(spec.count) || spec.count < 1 || spec.count > 255) {
    throw new RangeError(`Instance count ${spec.count} is not within 1…255 (one VRID each)`);
  }
  const lines = ['global_defs {', '  vrrp_garp_master_delay 1', '}'];
  for (let vrid = 1; vrid <= spec.count; vrid++) {
    lines.push(
      `vrrp_instance VI_${vrid} {`,
      '  state BACKUP',
      `  interface ${spec.iface ?? 'eth0'}`,
      `  virtual_router_id ${vrid}`,
      `  priority ${spec.priority}`,
      `  advert_int ${spec.advertInt}`,
      `  version ${spec.version}`,
      '  virtual_ipaddress {',
      `    ${spec.vipOf(vrid)}`,
      '  }',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
