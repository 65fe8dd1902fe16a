/**
 * The demo's live view as one compact line:
 *
 *   12.3s  a MASTER 150  b BACKUP 100  VIP on a  client → a (50/s)
 *
 * Pure: formatting only; demo.ts gathers the snapshot every half second.
 */

export interface NodeView {
  node: string;
  /** undefined while the node's daemon does not answer. */
  state: string | undefined;
  /** The effective priority (checks and tracking applied). */
  priority: number | undefined;
}

export interface LiveSnapshot {
  elapsedMs: number;
  nodes: readonly NodeView[];
  /** Nodes that have the VIP on an interface (normally one). */
  vipHolders: readonly string[];
  /** Client answers in the last second, by node. */
  answersBy: Readonly<Record<string, number>>;
  /** Client requests that failed in the last second. */
  failures: number;
}

function nodePart(view: NodeView): string {
  if (view.state === undefined) return `${view.node} -`;
  return view.priority === undefined ? `${view.node} ${view.state}` : `${view.node} ${view.state} ${view.priority}`;
}

function holderPart(holders: readonly string[]): string {
  if (holders.length === 0) return 'VIP nowhere';
  return `VIP on ${holders.join('+')}`;
}

function clientPart(snapshot: LiveSnapshot): string {
  const answering = Object.entries(snapshot.answersBy).filter(([, count]) => count > 0);
  const failing = snapshot.failures > 0 ? `${snapshot.failures} failed/s` : '';
  if (answering.length === 0) return `client: no answer${failing ? ` (${failing})` : ''}`;
  const served = answering.map(([node, count]) => `${node} (${count}/s)`).join(' + ');
  return `client → ${served}${failing ? `, ${failing}` : ''}`;
}

export function formatLiveLine(snapshot: LiveSnapshot): string {
  const seconds = `${(snapshot.elapsedMs / 1000).toFixed(1)}s`.padStart(6);
  return [seconds, ...snapshot.nodes.map(nodePart), holderPart(snapshot.vipHolders), clientPart(snapshot)].join('  ');
}

/**
 * What the line says without its clock and rates: when the output is not a terminal, a line is
 * printed only when this changes (states, VIP holder, which nodes answer, whether any fail).
 */
export function liveLineKey(snapshot: LiveSnapshot): string {
  const answering = Object.entries(snapshot.answersBy)
    .filter(([, count]) => count > 0)
    .map(([node]) => node)
    .sort();
  return JSON.stringify([snapshot.nodes.map(nodePart), [...snapshot.vipHolders].sort(), answering, snapshot.failures > 0]);
}
