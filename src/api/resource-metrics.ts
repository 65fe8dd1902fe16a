/**
 * Prometheus metrics of role-following resources, read from the daemon's status at scrape time:
 * each resource's phase, health, eligibility, hold, its last operation (duration and result),
 * operation totals, and the gauges its kind reports (hotstandby_resource_gauge).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ResourceStatus } from '../resources/group.js';

const PHASES = ['down', 'standby', 'active', 'partial', 'dirty', 'stuck'] as const;

export function registerResourceMetrics(registry: Registry, resources: () => readonly ResourceStatus[]): void {
  const registers = [registry];
  const each = (metric: { reset(): void }, fill: (r: ResourceStatus) => void): void => {
    metric.reset();
    for (const r of resources()) fill(r);
  };
  new Gauge({
    name: 'hotstandby_resource_phase',
    help: 'Phase of each resource (down, standby, active, partial = a promote failed, dirty = a demote failed, stuck = a stop failed): 1 for the current one',
    labelNames: ['resource', 'kind', 'phase'] as const,
    registers,
    collect() {
      each(this, (r) => PHASES.forEach((phase) => this.set({ resource: r.name, kind: r.kind, phase }, r.phase === phase ? 1 : 0)));
    },
  });
  new Gauge({
    name: 'hotstandby_resource_healthy',
    help: 'Monitor result after rise/fall: 1 healthy, 0 failed (absent before the first monitor)',
    labelNames: ['resource', 'kind'] as const,
    registers,
    collect() {
      each(this, (r) => r.healthy !== null && this.set({ resource: r.name, kind: r.kind }, r.healthy ? 1 : 0));
    },
  });
  new Gauge({
    name: 'hotstandby_resource_eligible',
    help: 'Whether the resource lets this node become master (0: it vetoes; absent before the first monitor)',
    labelNames: ['resource', 'kind'] as const,
    registers,
    collect() {
      each(this, (r) => r.eligibility !== null && this.set({ resource: r.name, kind: r.kind }, r.eligibility.eligible ? 1 : 0));
    },
  });
  new Gauge({
    name: 'hotstandby_resource_held',
    help: 'A failed operation holds the followed instances in FAULT (1) or not (0)',
    labelNames: ['resource', 'kind'] as const,
    registers,
    collect() {
      each(this, (r) => this.set({ resource: r.name, kind: r.kind }, r.hold ? 1 : 0));
    },
  });
  new Gauge({
    name: 'hotstandby_resource_last_operation_seconds',
    help: 'Duration of the last operation (start, promote, demote, stop, fence) with its result',
    labelNames: ['resource', 'kind', 'operation', 'result'] as const,
    registers,
    collect() {
      each(this, (r) => r.lastOperation && this.set({ resource: r.name, kind: r.kind, operation: r.lastOperation.operation, result: r.lastOperation.result }, r.lastOperation.durationMs / 1000));
    },
  });
  new Counter({
    name: 'hotstandby_resource_operations_total',
    help: 'Operations run, by operation and result',
    labelNames: ['resource', 'kind', 'operation', 'result'] as const,
    registers,
    collect() {
      each(this, (r) => {
        for (const [key, count] of Object.entries(r.operations)) {
          const [operation = '', result = ''] = key.split(':');
          this.inc({ resource: r.name, kind: r.kind, operation, result }, count);
        }
      });
    },
  });
  new Gauge({
    name: 'hotstandby_resource_lag_alarm',
    help: 'The replication-lag alarm (lagAlarm) of each resource that has one: 1 raised, 0 clear',
    labelNames: ['resource', 'kind'] as const,
    registers,
    collect() {
      each(this, (r) => r.lagAlarm && this.set({ resource: r.name, kind: r.kind }, r.lagAlarm.raised ? 1 : 0));
    },
  });
  new Gauge({
    name: 'hotstandby_resource_gauge',
    help: "Numbers a resource's monitor reports (lag_seconds, lag_bytes, ...), by name",
    labelNames: ['resource', 'kind', 'gauge'] as const,
    registers,
    collect() {
      each(this, (r) => Object.entries(r.gauges).forEach(([gauge, value]) => this.set({ resource: r.name, kind: r.kind, gauge }, value)));
    },
  });
}
