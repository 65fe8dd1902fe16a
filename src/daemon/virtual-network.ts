/**
 * From an instance's configured virtual routes and rules to kernel requests: interface names
 * become indexes (resolved when the instance is built, like its VIPs' devices).
 */
import type { InstanceConfig } from '../config/model.js';
import type { RouteSpec } from '../net/netlink/route.js';
import type { RuleSpec } from '../net/netlink/rule.js';

export function routeSpecsOf(instance: InstanceConfig, ifindexOf: (name: string) => number): RouteSpec[] {
  return instance.virtualRoutes.map((route) => {
    const spec: RouteSpec = {
      family: route.family,
      destination: route.destination,
      prefixLength: route.prefixLength,
      type: route.type,
      nextHops: route.nextHops.map((hop) => ({
        ...(hop.gateway !== undefined ? { gateway: hop.gateway } : {}),
        ...(hop.device !== undefined ? { ifindex: ifindexOf(hop.device) } : {}),
      })),
      table: route.table,
      protocol: route.protocol,
    };
    if (route.preferredSource !== undefined) spec.preferredSource = route.preferredSource;
    if (route.metric !== undefined) spec.metric = route.metric;
    if (route.scope !== undefined) spec.scope = route.scope;
    return spec;
  });
}

export function ruleSpecsOf(instance: InstanceConfig): RuleSpec[] {
  return instance.virtualRules.map((rule) => {
    const { source: _source, ...spec } = rule;
    return spec;
  });
}
