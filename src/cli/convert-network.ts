/** The YAML keys of an instance's virtual routes, rules, VMAC and trackPrimary, for `convert`. */
import type { InstanceConfig } from '../config/model.js';
import { routeText, ruleText } from '../config/virtual-routes.js';
import { virtualRouterMac } from '../config/instance-network.js';

type Plain = Record<string, unknown>;

export function networkSection(instance: InstanceConfig): Plain {
  const out: Plain = {};
  if (instance.virtualRoutes.length > 0) out.virtualRoutes = instance.virtualRoutes.map(routeText);
  if (instance.virtualRules.length > 0) out.virtualRules = instance.virtualRules.map(ruleText);
  const vmac = instance.vmac;
  if (vmac) {
    const parts: Plain = {};
    if (vmac.name !== `vrrp.${instance.vrid}`) parts.name = vmac.name;
    if (vmac.mac !== virtualRouterMac(instance.vrid, instance.family)) parts.mac = vmac.mac;
    if (vmac.xmitBase) parts.xmitBase = true;
    out.vmac = Object.keys(parts).length > 0 ? parts : true;
  }
  if (!instance.trackPrimary) out.trackPrimary = false;
  return out;
}
