/**
 * File replication (issue 12): the public surface. A directory pair is replicated from the node
 * that is MASTER (source) to the BACKUP (replica) over TLS-PSK; see README.md here.
 */
import type { Clock } from '../ports/index.js';
import type { NativeFileBinding } from '../net/native.js';
import type { RelPath } from './paths.js';
import type { ReplicationTransport } from './transport.js';
import { ReplicaServer, type ReplicaEvent } from './replica-server.js';
import type { ReplicationSides } from './role-follower.js';
import { SourceReplicator, type SourceEvent } from './source-replicator.js';

export { RoleFollower, roleForState, type ReplicationRole, type ReplicationSide, type ReplicationSides } from './role-follower.js';
export { SourceReplicator, type SourceEvent, type SourceStatus } from './source-replicator.js';
export { ReplicaServer, type ReplicaEvent } from './replica-server.js';
export type { PreSharedKey } from './psk-tls.js';
export type { ReplicationTransport } from './transport.js';

/** One replicated directory as the configuration will describe it. */
export interface DirectoryPair {
  /** The directory, the same path on every node. */
  path: string;
  exclude?: (path: RelPath) => boolean;
  /** Where this node's replica listens, and where the source finds the peer's. */
  listen: { host: string; port: number };
  peer: { host: string; port: number };
  transport: ReplicationTransport;
}

export interface DirectoryPairPorts {
  native: NativeFileBinding;
  clock: Clock;
  onSourceEvent?: (event: SourceEvent) => void;
  onReplicaEvent?: (event: ReplicaEvent) => void;
}

/** The two sides of a pair on this node, for RoleFollower. */
export function directoryPairSides(pair: DirectoryPair, ports: DirectoryPairPorts): ReplicationSides {
  const root = Buffer.from(pair.path);
  return {
    source: () => {
      const replicator = new SourceReplicator({
        root,
        replica: pair.peer,
        transport: pair.transport,
        exclude: pair.exclude,
        native: ports.native,
        clock: ports.clock,
        onEvent: ports.onSourceEvent,
      });
      return { start: () => replicator.start(), close: () => replicator.close() };
    },
    replica: () => {
      const server = new ReplicaServer({ root, transport: pair.transport, ...pair.listen, native: ports.native, onEvent: ports.onReplicaEvent });
      return { start: async () => void (await server.listen()), close: () => server.close() };
    },
  };
}
