/**
 * Prometheus metrics. One Registry per daemon (never prom-client's global one); every value is
 * read from the daemon at scrape time by collect callbacks, so the daemon wires nothing.
 * Counters are the daemon's own running totals, re-set on each scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { DROP_REASONS } from '../vrrp/drop-reason.js';
import type { VrrpState } from '../vrrp/state-machine.js';
import type { DaemonControl } from './daemon-control.js';
import type { ReportedInstance } from './instance-view.js';
import { registerResourceMetrics } from './resource-metrics.js';
import type { BackupsStatus } from '../backup/jobs/status.js';
import { registerBackupMetrics } from './backup-metrics.js';

export interface MetricsOptions {
  /**
   * prom-client's process and Node.js metrics (CPU, memory, file descriptors, GC, event-loop lag
   * as nodejs_eventloop_lag_*) in the same registry. Default true.
   */
  defaultMetrics?: boolean;
  /** Event-loop delay sampling resolution in ms for the default metrics (default 10). */
  eventLoopResolutionMs?: number;
  /** The backup jobs, when the daemon has any (backup-metrics.ts). */
  backups?: () => BackupsStatus;
}

export const VRRP_STATES: readonly VrrpState[] = ['INIT', 'BACKUP', 'MASTER', 'FAULT'];

type Source = Pick<DaemonControl, 'status' | 'checks'>;

/** A Registry whose metrics read `source` on every scrape. */
export function createMetricsRegistry(source: Source, options: MetricsOptions = {}): Registry {
  const registry = new Registry();
  const registers = [registry];
  const instances = (): ReportedInstance[] => source.status().instances;

  new Gauge({
    name: 'hotstandby_start_time_seconds',
    help: 'Start time of the daemon since the Unix epoch',
    registers,
    collect() {
      this.set(Date.parse(source.status().startedAt) / 1000);
    },
  });

  new Gauge({
    name: 'hotstandby_instance_info',
    help: 'Static facts of each VRRP instance (value 1)',
    labelNames: ['instance', 'vrid', 'interface', 'family', 'version'] as const,
    registers,
    collect() {
      this.reset();
      for (const i of instances()) {
        this.set({ instance: i.name, vrid: i.vrid, interface: i.interface, family: `ipv${i.family}`, version: i.version }, 1);
      }
    },
  });

  new Gauge({
    name: 'hotstandby_instance_state',
    help: 'VRRP state of each instance: 1 for the current state, 0 for the others',
    labelNames: ['instance', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const i of instances()) for (const state of VRRP_STATES) this.set({ instance: i.name, state }, i.state === state ? 1 : 0);
    },
  });

  instanceMetric('gauge', registers, 'hotstandby_instance_priority', 'Configured VRRP priority', instances, (i) => i.priority);
  instanceMetric('gauge', registers, 'hotstandby_instance_effective_priority', 'Priority after tracked checks and interfaces, as advertised', instances, (i) => i.effectivePriority);
  instanceMetric('gauge', registers, 'hotstandby_instance_maintenance', 'Planned switchover in force (1) or not (0)', instances, (i) =>
    i.maintenance === undefined ? undefined : Number(i.maintenance),
  );
  instanceMetric('counter', registers, 'hotstandby_instance_transitions_total', 'State transitions', instances, (i) => i.counters.transitions);
  instanceMetric('counter', registers, 'hotstandby_adverts_sent_total', 'VRRP advertisements sent', instances, (i) => i.counters.advertsSent);
  instanceMetric('counter', registers, 'hotstandby_adverts_received_total', 'Valid VRRP advertisements received', instances, (i) => i.counters.advertsReceived);
  instanceMetric('counter', registers, 'hotstandby_advert_send_failures_total', 'Advertisements the kernel refused to send', instances, (i) => i.counters.sendFailures);
  instanceMetric('counter', registers, 'hotstandby_garps_sent_total', 'Gratuitous ARP / unsolicited neighbour advert frames sent', instances, (i) => i.garpsSent);
  instanceMetric('counter', registers, 'hotstandby_vip_claims_total', 'Claims on a VIP by another MAC (ARP, neighbour adverts) heard as master', instances, (i) => i.vipClaims);
  instanceMetric('counter', registers, 'hotstandby_vip_defences_total', 'Announcements of the VIPs again in answer to another MAC claiming one', instances, (i) => i.vipDefences);

  new Counter({
    name: 'hotstandby_adverts_dropped_total',
    help: 'Received advertisements dropped by an instance, by reason (RFC 3768 / RFC 5798 section 7.1 checks)',
    labelNames: ['instance', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const i of instances()) for (const reason of DROP_REASONS) this.inc({ instance: i.name, reason }, i.drops[reason] ?? 0);
    },
  });

  new Counter({
    name: 'hotstandby_unmatched_adverts_dropped_total',
    help: 'Received packets no instance claimed (unknown VRID, unreadable), by interface and reason',
    labelNames: ['interface', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const [iface, drops] of Object.entries(source.status().unmatchedDrops)) {
        for (const reason of DROP_REASONS) {
          const value = drops[reason] ?? 0;
          if (value > 0) this.inc({ interface: iface, reason }, value);
        }
      }
    },
  });

  new Gauge({
    name: 'hotstandby_check_healthy',
    help: 'Health check state after rise/fall hysteresis: 1 healthy, 0 failed',
    labelNames: ['check', 'kind'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of source.checks()) this.set({ check: c.name, kind: c.kind }, c.healthy ? 1 : 0);
    },
  });

  new Gauge({
    name: 'hotstandby_check_last_probe_ok',
    help: 'Result of the last probe of each check before hysteresis: 1 ok, 0 failed (absent before the first)',
    labelNames: ['check'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of source.checks()) if (c.lastOk !== null) this.set({ check: c.name }, c.lastOk ? 1 : 0);
    },
  });

  new Gauge({
    name: 'hotstandby_check_latency_seconds',
    help: 'Duration of the last probe of each check',
    labelNames: ['check'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of source.checks()) if (c.lastLatencyMs !== null) this.set({ check: c.name }, c.lastLatencyMs / 1000);
    },
  });

  registerResourceMetrics(registry, () => source.status().resources ?? []);

  if (options.backups) registerBackupMetrics(registry, options.backups);
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: options.eventLoopResolutionMs ?? 10 });
  }
  return registry;
}

/**
 * A gauge or counter with one series per instance, labelled `instance`; an instance whose
 * `value` is undefined has no series.
 */
function instanceMetric(
  type: 'gauge' | 'counter',
  registers: Registry[],
  name: string,
  help: string,
  instances: () => ReportedInstance[],
  value: (i: ReportedInstance) => number | undefined,
): void {
  /** Counters too are re-set from the daemon's running totals on each scrape. */
  const refill = (metric: { reset(): void }, record: (labels: { instance: string }, v: number) => void): void => {
    metric.reset();
    for (const i of instances()) {
      const v = value(i);
      if (v !== undefined) record({ instance: i.name }, v);
    }
  };
  const config = { name, help, labelNames: ['instance'] as const, registers };
  if (type === 'gauge') {
    new Gauge({
      ...config,
      collect() {
        refill(this, (labels, v) => this.set(labels, v));
      },
    });
  } else {
    new Counter({
      ...config,
      collect() {
        refill(this, (labels, v) => this.inc(labels, v));
      },
    });
  }
}
