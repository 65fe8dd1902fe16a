/**
 * The native YAML configuration the demo writes for each node: one VRRPv3 instance with a fast
 * advert interval, and an HTTP check on the node's own web service that takes the node out of
 * the election (FAULT, weight 0) when the service stops answering.
 */

export interface DemoNodeSpec {
  node: string;
  priority: number;
  /** The virtual address, without prefix. */
  vip: string;
  prefixLength: number;
  vrid: number;
  advertIntervalMs: number;
  /** The web service's port on the node (the check asks http://127.0.0.1:<port>/). */
  webPort: number;
  /** Time between two checks; one failure is enough (fall 1), two successes bring it back (rise 2). */
  checkIntervalMs: number;
}

export const DEMO_CHECK_NAME = 'web_http';
export const DEMO_INSTANCE_NAME = 'web';

export function demoNodeConfig(spec: DemoNodeSpec): string {
  return `# hotstandby demo: node ${spec.node}
global:
  routerId: demo-${spec.node}

checks:
  ${DEMO_CHECK_NAME}:
    type: http
    url: http://127.0.0.1:${spec.webPort}/
    interval: ${spec.checkIntervalMs}ms
    timeout: ${spec.checkIntervalMs}ms
    fall: 1
    rise: 2
    weight: 0              # failing: FAULT, the VIP goes to the peer at once

instances:
  ${DEMO_INSTANCE_NAME}:
    interface: eth0
    vrid: ${spec.vrid}
    priority: ${spec.priority}
    version: 3
    advertInterval: ${spec.advertIntervalMs}ms
    preempt: true
    vips: [${spec.vip}/${spec.prefixLength}]
    track: [${DEMO_CHECK_NAME}]
`;
}
