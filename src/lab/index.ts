/** The lab's public face: import from here in integration tests and benchmarks. */
export { Lab, type LabOptions, type LabHost, type CutOptions, type ImpairmentOptions, type ImpairmentDirection, type SpawnOptions } from './lab.js';
export { KeepalivedInstance, type VrrpState } from './keepalived.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { LabProcess, type ProcessExit } from './lab-process.js';
export { Capture } from './capture.js';
export { Prober, type ProberOptions } from './prober.js';
export type { ProbeReport, ProbeGap } from './probe-report.js';
export type { RelayStats } from './relay.js';
export type { Impairment, DirectionStats } from './impairment.js';
export { CommandError } from './shell.js';
export { sweepStaleLabs } from './namespaces.js';
export {
  labUnavailableReason,
  keepalivedUnavailableReason,
  tcpdumpUnavailableReason,
  nativeAddonUnavailableReason,
} from './environment.js';
export { HttpProber, summarizeHttpProbes, type HttpProbeReport } from './http-prober.js';
export { servesLocalHttp } from './local-http.js';
export { ClientLog } from './client-log.js';
export { parseOutcomeLine, preciseNow, type RequestOutcome } from './request-outcome.js';
export { AddressMonitor, NeighbourMonitor, parseAddressEvent, parseNeighbourEvent, type AddressEvent, type NeighbourEvent } from './ip-monitor.js';
export { processTree, signalProcessTree } from './process-tree.js';
export type { ProberStatus } from './prober-process.js';
