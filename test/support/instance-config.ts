/** A complete, valid InstanceConfig for tests, with overrides. */
import type { InstanceConfig } from '../../src/config/model.js';

export function instanceConfig(overrides: Partial<InstanceConfig> = {}): InstanceConfig {
  const source = { file: 'test.conf', line: 1 };
  return {
    name: 'VI_1',
    interface: 'eth0',
    vrid: 51,
    version: 3,
    family: 4,
    priority: 100,
    initialState: 'BACKUP',
    advertIntervalMs: 100,
    preempt: true,
    preemptDelayMs: 0,
    accept: true,
    vips: [
      { address: '10.99.0.100', family: 4, prefixLength: 24, device: 'eth0', scope: 'global', excluded: false, source },
      { address: '10.99.0.101', family: 4, prefixLength: 32, device: 'eth0', scope: 'global', excluded: true, source },
    ],
    unicastPeers: [],
    unicastTtl: 255,
    checkUnicastSource: true,
    unicastPeerTtl: {},
    v3ChecksumExcludesPseudoHeader: false,
    trackInterfaces: [],
    trackChecks: [],
    notify: {},
    garp: { masterDelayMs: 5000, masterRepeat: 5, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 0 },
    lowerPriority: { noAdvert: false, garpRepeat: 5, garpDelayMs: 5000 },
    advertOnYield: true,
    virtualRoutes: [],
    virtualRules: [],
    trackPrimary: true,
    strict: false,
    source,
    ...overrides,
  };
}
