/** tcp check: a connection that completes within the timeout is healthy; it is closed at once. */
import { connect, type Socket } from 'node:net';
import type { TcpCheckConfig } from '../config/check-model.js';
import { abortedDetail, describeError, type Probe, type ProbeResult, type ProbeTime } from './probe.js';

export type TcpProbeConfig = Pick<TcpCheckConfig, 'host' | 'port' | 'timeoutMs'>;

export function createTcpProbe(config: TcpProbeConfig, time: ProbeTime): Probe {
  const where = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
  return {
    run(signal) {
      const started = time.clock.now();
      const finish = (ok: boolean, detail: string): ProbeResult => ({ ok, latencyMs: time.clock.now() - started, detail });
      if (signal.aborted) return Promise.resolve(finish(false, abortedDetail(signal)));
      return new Promise<ProbeResult>((resolve) => {
        let settled = false;
        let socket: Socket | undefined;
        const settle = (ok: boolean, detail: string): void => {
          if (settled) return;
          settled = true;
          cancelTimeout();
          signal.removeEventListener('abort', onAbort);
          socket?.destroy();
          resolve(finish(ok, detail));
        };
        const cancelTimeout = time.timers.at(started + config.timeoutMs, () =>
          settle(false, `connect to ${where} timed out after ${config.timeoutMs} ms`),
        );
        const onAbort = (): void => settle(false, abortedDetail(signal));
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          socket = connect({ host: config.host, port: config.port });
        } catch (err) {
          settle(false, `cannot connect to ${where}: ${describeError(err)}`);
          return;
        }
        socket.on('connect', () => settle(true, `connected to ${where}`));
        socket.on('error', (err: NodeJS.ErrnoException) => settle(false, `connect to ${where}: ${err.code ?? describeError(err)}`));
      });
    },
  };
}
