/** tcp check: a connection that completes within the timeout is healthy; it is closed at once. */
import { connect, type Socket } from 'node:net';
import type { TcpCheckConfig } from '../config/check-model.js';
import { describeError, settleOnce, type Probe, type ProbeTime } from './probe.js';

export type TcpProbeConfig = Pick<TcpCheckConfig, 'host' | 'port' | 'timeoutMs'>;

export function createTcpProbe(config: TcpProbeConfig, time: ProbeTime): Probe {
  const where = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
  return {
    run(signal) {
      return settleOnce(time, signal, config.timeoutMs, `connect to ${where} timed out after ${config.timeoutMs} ms`, (settle) => {
        let socket: Socket;
        try {
          socket = connect({ host: config.host, port: config.port });
        } catch (err) {
          settle(false, `cannot connect to ${where}: ${describeError(err)}`);
          return undefined;
        }
        socket.on('connect', () => settle(true, `connected to ${where}`));
        socket.on('error', (err: NodeJS.ErrnoException) => settle(false, `connect to ${where}: ${err.code ?? describeError(err)}`));
        return () => socket.destroy();
      });
    },
  };
}
