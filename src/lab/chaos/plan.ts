/**
 * The chaos soak's plans, pure: a seeded generator draws each cycle's fault kind and parameters
 * into a list of steps (act, wait, check). The same run seed and cycle index always give the same
 * cycle, whatever ran before it, so a failing cycle can be replayed alone.
 */
import { Prng } from '../../sim/prng.js';
import { masterDownIntervalMs } from '../../vrrp/timers.js';
import type { VrrpVersion } from '../../vrrp/advert.js';

/**
 * What a cycle does to the pair. "master" is the configured highest-priority node (it holds the
 * VIP when a cycle starts), "backup" the other; "standin" kills the backup while it stands in for
 * a master that was stopped first.
 */
export const FAULT_KINDS = [
  'kill9-master',
  'kill9-backup',
  'kill9-standin',
  'sigterm-master',
  'sigterm-backup',
  'sigstop-master',
  'sigstop-backup',
  'link-flap',
  'loss',
  'delay',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosNode {
  /** Lab host name. */
  name: string;
  priority: number;
}

export interface ChaosSetup {
  /** The pair, any order; the highest priority is the master. */
  nodes: readonly ChaosNode[];
  version: VrrpVersion;
  advertIntMs: number;
}

export type ChaosStep =
  /** SIGKILL (kill -9 of the whole process tree) or SIGTERM (a clean stop, awaited). */
  | { do: 'kill'; node: string; signal: 'SIGKILL' | 'SIGTERM' }
  /** Start the daemon again; the step ends when it has entered its first state. */
  | { do: 'restart'; node: string }
  /** SIGSTOP / SIGCONT of the daemon's process tree. */
  | { do: 'pause'; node: string }
  | { do: 'resume'; node: string }
  /** carrier: the host sees its link go down; otherwise its port leaves the bridge (silent isolation). */
  | { do: 'cut'; node: string; carrier: boolean }
  | { do: 'heal'; node: string }
  | { do: 'impair'; node: string; lossPercent: number; delayMs: number; jitterMs: number; reorder: boolean; direction: 'from-host' | 'both' }
  | { do: 'unimpair'; node: string }
  | { do: 'wait'; ms: number }
  /** The pair must converge to what the oracle expects of the world as the steps left it. */
  | { do: 'check' };

export interface CyclePlan {
  index: number;
  /** Seed of this cycle's own generator (derived from the run seed and the index). */
  seed: number;
  kind: FaultKind;
  steps: ChaosStep[];
}

/** The configured highest-priority node and the other one. */
export function roles(setup: ChaosSetup): { master: ChaosNode; backup: ChaosNode } {
  const sorted = [...setup.nodes].sort((x, y) => y.priority - x.priority);
  const [master, backup] = sorted;
  if (!master || !backup || sorted.length !== 2) throw new RangeError(`A chaos pair has two nodes, not ${sorted.length}`);
  if (master.priority === backup.priority) throw new RangeError(`The pair's priorities must differ (both ${master.priority})`);
  return { master, backup };
}

/** Each cycle's generator seed: the run seed and the index, mixed (golden-ratio step). */
export function cycleSeed(runSeed: number, index: number): number {
  return (runSeed + Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

/** How long a SIGSTOP lasts: 0.2…3 × the node's Master_Down_Interval. */
export const PAUSE_MDI_RANGE = [0.2, 3] as const;

export function planCycle(setup: ChaosSetup, runSeed: number, index: number): CyclePlan {
  const seed = cycleSeed(runSeed, index);
  const prng = new Prng(seed);
  const kind = prng.pick(FAULT_KINDS);
  const { master, backup } = roles(setup);
  const either = (): ChaosNode => (prng.chance(0.5) ? master : backup);
  const ms = (min: number, max: number): number => prng.int(min, max);
  const steps: ChaosStep[] = [];
  const downAndBack = (node: ChaosNode, signal: 'SIGKILL' | 'SIGTERM'): void => {
    steps.push({ do: 'kill', node: node.name, signal }, { do: 'check' }, { do: 'wait', ms: ms(0, 800) }, { do: 'restart', node: node.name }, { do: 'check' });
  };
  switch (kind) {
    case 'kill9-master':
      downAndBack(master, 'SIGKILL');
      break;
    case 'kill9-backup':
      downAndBack(backup, 'SIGKILL');
      break;
    case 'sigterm-master':
      downAndBack(master, 'SIGTERM');
      break;
    case 'sigterm-backup':
      downAndBack(backup, 'SIGTERM');
      break;
    case 'kill9-standin': {
      // The master goes first (either way), the backup takes over, then dies holding the VIP;
      // they come back in either order, each start checked.
      const first = prng.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
      steps.push({ do: 'kill', node: master.name, signal: first }, { do: 'check' }, { do: 'wait', ms: ms(0, 500) });
      steps.push({ do: 'kill', node: backup.name, signal: 'SIGKILL' }, { do: 'wait', ms: ms(0, 500) });
      const order = prng.chance(0.5) ? [master, backup] : [backup, master];
      for (const node of order) steps.push({ do: 'restart', node: node.name }, { do: 'check' });
      break;
    }
    case 'sigstop-master':
    case 'sigstop-backup': {
      const node = kind === 'sigstop-master' ? master : backup;
      const mdi = masterDownIntervalMs(setup.version, node.priority, setup.advertIntMs);
      const factor = PAUSE_MDI_RANGE[0] + prng.next() * (PAUSE_MDI_RANGE[1] - PAUSE_MDI_RANGE[0]);
      steps.push({ do: 'pause', node: node.name }, { do: 'wait', ms: Math.round(factor * mdi) }, { do: 'resume', node: node.name }, { do: 'check' });
      break;
    }
    case 'link-flap': {
      const node = either();
      const carrier = prng.chance(0.5);
      const flaps = prng.int(1, 3);
      for (let flap = 0; flap < flaps; flap++) {
        if (flap > 0) steps.push({ do: 'wait', ms: ms(50, 500) });
        steps.push({ do: 'cut', node: node.name, carrier }, { do: 'wait', ms: ms(50, 1500) }, { do: 'heal', node: node.name });
      }
      steps.push({ do: 'check' });
      break;
    }
    case 'loss': {
      const node = either();
      const direction = prng.chance(0.5) ? 'from-host' : 'both';
      steps.push(
        { do: 'impair', node: node.name, lossPercent: 30, delayMs: 0, jitterMs: 0, reorder: false, direction },
        { do: 'wait', ms: ms(1000, 3000) },
        { do: 'unimpair', node: node.name },
        { do: 'check' },
      );
      break;
    }
    case 'delay': {
      const node = either();
      steps.push(
        { do: 'impair', node: node.name, lossPercent: 0, delayMs: 50, jitterMs: 20, reorder: true, direction: 'both' },
        { do: 'wait', ms: ms(1000, 3000) },
        { do: 'unimpair', node: node.name },
        { do: 'check' },
      );
      break;
    }
  }
  return { index, seed, kind, steps };
}

/** One line per cycle for logs and failure messages: "kill -9 a, check, wait 312 ms, restart a, check". */
export function describeSteps(steps: readonly ChaosStep[]): string {
  return steps
    .map((step) => {
      switch (step.do) {
        case 'kill':
          return `${step.signal === 'SIGKILL' ? 'kill -9' : 'SIGTERM'} ${step.node}`;
        case 'cut':
          return `cut ${step.node}${step.carrier ? '' : ' (no carrier loss)'}`;
        case 'impair':
          return `impair ${step.node} ${step.direction} ${step.lossPercent > 0 ? `${step.lossPercent} % loss` : `${step.delayMs} ± ${step.jitterMs} ms${step.reorder ? ' reordering' : ''}`}`;
        case 'wait':
          return `wait ${step.ms} ms`;
        case 'check':
          return 'check';
        default:
          return `${step.do} ${step.node}`;
      }
    })
    .join(', ');
}
