/**
 * Injecting one fault into a pair (cluster.ts) and undoing it. A pause lasts `pauseMs` and is
 * over when inject() resolves; the other faults last until restore() (the rig calls it once the
 * pair answered writes again, or after a hold when it does not: a split without a witness).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree } from '../process-tree.js';
import type { FailoverCluster } from './cluster.js';
import type { FaultKind } from './plan.js';
import { signalPids } from './processes.js';

export interface InjectedFault {
  /** Undoes the fault: restarts what was killed (as systemd would), plugs the link back. */
  restore(): Promise<void>;
}

const nothing: InjectedFault = { restore: async () => undefined };

/** Bridge port isolation (`bridge link set … isolated on`): isolated ports cannot reach each other, all others still can. */
async function isolate(cluster: FailoverCluster, on: boolean): Promise<void> {
  for (const host of cluster.hosts) {
    await cluster.lab.exec('switch', ['bridge', 'link', 'set', 'dev', `h-${host}`, 'isolated', on ? 'on' : 'off']);
  }
}

/** Removes `address` from every interface of `host`: `ip addr flush to` matches it whatever its prefix, and does nothing when it is absent. */
async function dropAddress(cluster: FailoverCluster, host: string, address: string): Promise<void> {
  const bits = address.includes(':') ? 128 : 32;
  await cluster.lab.exec(host, ['ip', 'addr', 'flush', 'to', `${address}/${bits}`]);
}

/**
 * Injects `kind` into `primary`; `effective()` is called the moment the fault takes effect (the
 * signal sent, the link down, the switchover asked), the instant "time to first write" counts from.
 */
export async function injectFault(
  cluster: FailoverCluster,
  kind: FaultKind,
  primary: string,
  effective: () => void,
  pauseMs = 2000,
): Promise<InjectedFault> {
  /** The postmaster and its backends. */
  const postgres = (): number[] => {
    const pid = cluster.postmasterPid(primary);
    return pid === undefined ? [] : processTree(pid);
  };
  switch (kind) {
    case 'kill-postgres':
      signalPids(postgres(), 'SIGKILL');
      effective();
      return nothing;
    case 'kill-daemon-and-postgres':
      signalPids([...cluster.daemonPids(primary), ...postgres()], 'SIGKILL');
      effective();
      return { restore: () => cluster.restartDaemon(primary) };
    case 'power-off':
      // The fault's instant is the signals' (killNode calls effective then), not once every process
      // has been reaped: that wait (the etcd member was even killed only after it) ran 0.1–0.4 s on
      // a loaded machine, and the peer was already taking over meanwhile.
      await cluster.killNode(primary, effective);
      await cluster.lab.cutLink(primary);
      // A machine that loses power loses the addresses set at run time, the VIP among them. The lab
      // host kept it, and its kernel kept the killed server's sockets: after the heal, anything
      // sent from the VIP (a FIN sent again) makes it ask ARP for the client "from the VIP", which
      // points the client's VIP entry at this host (Linux takes the sender from any ARP request
      // for its own address). Once the restarted daemon removed the address, the client's writes
      // were lost here until that entry failed: no first write within 60 s in 2 of 15 power-offs
      // (2026-12-04, docs/postgresql-proof.md). Without the address those sockets can send nothing.
      await dropAddress(cluster, primary, cluster.vip);
      return {
        restore: async () => {
          await cluster.lab.healLink(primary);
          await cluster.bootNode(primary);
        },
      };
    case 'split':
      await isolate(cluster, true);
      effective();
      return { restore: () => isolate(cluster, false) };
    case 'pause-daemon':
    case 'pause-postgres': {
      const pids = kind === 'pause-daemon' ? cluster.daemonPids(primary) : postgres();
      signalPids(pids, 'SIGSTOP');
      effective();
      try {
        await sleep(pauseMs);
      } finally {
        signalPids(pids, 'SIGCONT');
      }
      return nothing;
    }
    case 'switchover':
      effective();
      await cluster.switchOver(primary);
      return { restore: () => cluster.endSwitchOver(primary) };
  }
}
