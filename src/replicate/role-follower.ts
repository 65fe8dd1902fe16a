/**
 * Replication follows the VRRP role: MASTER is the source, BACKUP the replica, any other state
 * (FAULT, INIT, stopping) neither. Transitions run one at a time in order, and a burst of
 * transitions ends in the role of the last one: the side of the old role is closed before the
 * new one starts, so a node is never source and replica at once.
 *
 * Split brain (both sides MASTER) is the next step (issue 12): generation histories decide the
 * direction on reconnect; until then a replica accepts the newest source connection.
 */
import type { Logger } from '../ports/index.js';

export type ReplicationRole = 'source' | 'replica' | 'idle';

/** One side of a directory pair, as built for a role. */
export interface ReplicationSide {
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ReplicationSides {
  source(): ReplicationSide;
  replica(): ReplicationSide;
}

/** VRRP states as keepalived names them. */
export function roleForState(state: string): ReplicationRole {
  if (state === 'MASTER') return 'source';
  if (state === 'BACKUP') return 'replica';
  return 'idle';
}

export class RoleFollower {
  private current: { role: ReplicationRole; side?: ReplicationSide } = { role: 'idle' };
  private chain: Promise<void> = Promise.resolve();
  private wanted: ReplicationRole = 'idle';

  constructor(
    private readonly sides: ReplicationSides,
    private readonly log?: Logger,
  ) {}

  get role(): ReplicationRole {
    return this.current.role;
  }

  /** Called on every transition of the instance (or sync group) the directory follows. */
  stateChanged(state: string): Promise<void> {
    this.wanted = roleForState(state);
    this.chain = this.chain.then(() => this.settle());
    return this.chain;
  }

  close(): Promise<void> {
    this.wanted = 'idle';
    this.chain = this.chain.then(() => this.settle());
    return this.chain;
  }

  private async settle(): Promise<void> {
    const role = this.wanted;
    if (role === this.current.role) return;
    const previous = this.current;
    this.current = { role: 'idle' };
    if (previous.side !== undefined) {
      await previous.side.close().catch((err: Error) => this.log?.log('warn', 'closing the replication side failed', { role: previous.role, error: err.message }));
    }
    if (role === 'idle') {
      this.log?.log('info', 'replication stopped', { was: previous.role });
      return;
    }
    const side = role === 'source' ? this.sides.source() : this.sides.replica();
    try {
      await side.start();
      this.current = { role, side };
      this.log?.log('info', `replication now ${role}`, { was: previous.role });
    } catch (err) {
      await side.close().catch(() => {});
      this.log?.log('error', `replication could not start as ${role}`, { error: (err as Error).message });
    }
  }
}
