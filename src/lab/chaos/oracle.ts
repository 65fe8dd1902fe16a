/**
 * The oracle, pure: a model of the pair as the steps leave it (daemon alive, paused or dead; link
 * cut; link impaired) and, when the world is steady, who must hold the VIP — the configured
 * highest-priority node whose daemon runs (RFC 5798 §6.4: the higher priority preempts) — and
 * which nodes may still carry a VIP nobody can remove: a daemon killed with SIGKILL cannot clean
 * up, and the kernel keeps its addresses until a daemon starts there again.
 */
import type { ChaosNode, ChaosSetup, ChaosStep } from './plan.js';

export type DaemonCondition = 'running' | 'paused' | 'stopped' | 'killed';

export interface NodeCondition {
  daemon: DaemonCondition;
  cut: boolean;
  impaired: boolean;
}

export type World = ReadonlyMap<string, NodeCondition>;

export interface Expectation {
  /** The node that must hold the VIP (alone, but for `excused`). */
  holder: string;
  /** Nodes whose daemon was killed and not restarted: they may still have the VIP. */
  excused: string[];
}

export function initialWorld(setup: ChaosSetup): World {
  return new Map(setup.nodes.map((node) => [node.name, { daemon: 'running', cut: false, impaired: false } satisfies NodeCondition]));
}

/** The world after `step`; steps that change nothing the oracle models (wait, check) leave it as it is. */
export function applyStep(world: World, step: ChaosStep): World {
  if (step.do === 'wait' || step.do === 'check') return world;
  const before = world.get(step.node);
  if (!before) throw new RangeError(`Step '${step.do}' names an unknown node '${step.node}'`);
  const after: NodeCondition = { ...before };
  switch (step.do) {
    case 'kill':
      after.daemon = step.signal === 'SIGKILL' ? 'killed' : 'stopped';
      break;
    case 'restart':
      after.daemon = 'running';
      break;
    case 'pause':
      after.daemon = 'paused';
      break;
    case 'resume':
      after.daemon = 'running';
      break;
    case 'cut':
      after.cut = true;
      break;
    case 'heal':
      after.cut = false;
      break;
    case 'impair':
      after.impaired = true;
      break;
    case 'unimpair':
      after.impaired = false;
      break;
  }
  return new Map(world).set(step.node, after);
}

/**
 * Who must hold the VIP, or undefined when there is nothing to check: the world is not steady (a
 * daemon paused, a link cut or impaired: the check comes after the spell) or no daemon runs.
 */
export function expectation(setup: ChaosSetup, world: World): Expectation | undefined {
  const conditions = setup.nodes.map((node) => ({ node, condition: world.get(node.name) as NodeCondition }));
  if (conditions.some(({ condition }) => condition.daemon === 'paused' || condition.cut || condition.impaired)) return undefined;
  const live = conditions.filter(({ condition }) => condition.daemon === 'running').map(({ node }) => node);
  const holder = live.reduce<ChaosNode | undefined>((best, node) => (best === undefined || node.priority > best.priority ? node : best), undefined);
  if (!holder) return undefined;
  return { holder: holder.name, excused: conditions.filter(({ condition }) => condition.daemon === 'killed').map(({ node }) => node.name) };
}
