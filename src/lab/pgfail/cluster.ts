/**
 * What the failover rig needs from a PostgreSQL pair under test, whatever runs it (hotstandby
 * with its postgresql resource, or Patroni behind keepalived): two database hosts sharing a VIP,
 * the processes a fault acts on, and a way to say the pair has settled (one primary holding the
 * VIP, the other node streaming from it). Implementations: hotstandby-pair.ts, patroni-pair.ts.
 */
import type { Lab } from '../lab.js';

export interface FailoverCluster {
  /** 'hotstandby', 'hotstandby+etcd', 'patroni'. */
  readonly label: string;
  readonly lab: Lab;
  /** The two database hosts. */
  readonly hosts: readonly [string, string];
  /** The address clients write through. */
  readonly vip: string;
  /** Whether a planned switchover is supported (maintenance). */
  readonly canSwitchOver: boolean;

  /** Brings the pair up and waits until it has settled. */
  start(): Promise<void>;
  /**
   * The settled state: which host is the primary (holding the VIP alone), or why it is not
   * settled yet ("b not streaming", "VIP on a,b").
   */
  settled(): Promise<{ readonly primary: string } | { readonly reason: string }>;
  /** Pids of the HA daemon's process tree on `host` (hotstandby; Patroni), empty when not running. */
  daemonPids(host: string): number[];
  /** The postmaster's pid on `host`, undefined when PostgreSQL is not running. */
  postmasterPid(host: string): number | undefined;
  /** Starts the HA daemon on `host` again after it was killed (as systemd's Restart= would). */
  restartDaemon(host: string): Promise<void>;
  /**
   * Kills every process of the node (daemon, PostgreSQL, its etcd member) in one signalling pass:
   * the machine's power. Calls `killed` the moment the signals are sent (the fault's instant: what
   * the peer sees from then on is a dead machine), then waits for the processes to be gone.
   */
  killNode(host: string, killed?: () => void): Promise<void>;
  /** Starts what killNode ended (the machine boots). */
  bootNode(host: string): Promise<void>;
  /** Planned switchover away from `primary`; resolves once asked (not once done). */
  switchOver(primary: string): Promise<void>;
  /** Undoes what switchOver left behind (maintenance off), once the pair settled elsewhere. */
  endSwitchOver(primary: string): Promise<void>;
  stop(): Promise<void>;
  /**
   * The log files a failover timeline is read from (timeline.ts), every one so far (a restarted
   * daemon writes a new one); optional: the rig prints no timeline for a pair without it.
   */
  logFiles?(): Array<{ readonly host: string; readonly source: 'daemon' | 'postgresql' | 'etcd'; readonly path: string }>;
  /**
   * What each node says about itself now, for a cycle that failed (cycle-logs.ts): e.g. the data
   * directory's pg_controldata and the daemon's status. Each entry's text is kept as
   * `<host>-<name>.txt`; a node that cannot answer gets its error as the text. Optional.
   */
  snapshots?(): Promise<Array<{ readonly host: string; readonly name: string; readonly text: string }>>;
}
