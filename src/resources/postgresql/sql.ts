/**
 * Short-lived connections to a PostgreSQL server (pg, the wire protocol) that honour an
 * AbortSignal: on abort the socket is destroyed, so a server that stopped answering (SIGSTOP,
 * a cut link) cannot hold an operation past its timeout. One connection per operation: a hung
 * postmaster then shows as a connection that does not complete, which is what we want to see.
 */
import pg from 'pg';
import { abortError } from './commands.js';

export interface Endpoint {
  /** A host name, an address, or a unix socket directory (starting with "/"). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database?: string;
}

export type Row = Record<string, unknown>;

export interface Session {
  query(text: string, values?: readonly unknown[]): Promise<Row[]>;
}

/** A client for the endpoint; the application name tells our sessions apart in pg_stat_activity. */
function clientFor(endpoint: Endpoint, applicationName: string): pg.Client {
  return new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    database: endpoint.database ?? 'postgres',
    application_name: applicationName,
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
  });
}

/** Connects, runs fn, disconnects; rejects with the abort reason when the signal fires first. */
export async function withSession<T>(endpoint: Endpoint, signal: AbortSignal, fn: (session: Session) => Promise<T>): Promise<T> {
  if (signal.aborted) throw abortError(signal);
  const client = clientFor(endpoint, 'hotstandby');
  // An error event after the promise settled (a server terminating our session) must not crash the daemon.
  client.on('error', () => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      destroy(client);
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    await Promise.race([client.connect(), aborted]);
    const session: Session = {
      query: async (text, values) => (await Promise.race([client.query(text, values as unknown[] | undefined), aborted])).rows as Row[],
    };
    return await Promise.race([fn(session), aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    if (signal.aborted) destroy(client);
    else await client.end().catch(() => destroy(client));
  }
}

function destroy(client: pg.Client): void {
  // pg has no public "destroy": end() waits for the server's goodbye, which a stopped server never sends.
  const connection = (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
  connection?.stream?.destroy();
}

/** The SQLSTATE of a server error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export { identifier, literal } from './sql-names.js';

/**
 * An idle connection held open only to learn at once when the server goes away: a backend waiting
 * for its client exits as soon as the postmaster dies (it watches the postmaster's death pipe), so
 * the socket closes within milliseconds of a kill -9, where a monitor round would notice only at
 * its next interval. `onEnd` is called once, unless close() came first: `lost` true when an open
 * connection ended, false when it could not be opened (the monitor rounds judge the server then).
 */
export function watchSession(endpoint: Endpoint, onEnd: (lost: boolean, why: string) => void): { close(): void } {
  let closed = false;
  let connected = false;
  const client = clientFor(endpoint, 'hotstandby-watch');
  const lost = (why: string): void => {
    if (closed || !connected) return;
    closed = true;
    destroy(client);
    onEnd(true, why);
  };
  client.on('error', (error: Error) => lost(error.message));
  client.on('end', () => lost('the connection closed'));
  client.connect().then(() => {
    connected = true;
    if (closed) destroy(client);
  }, (error: Error) => {
    if (closed) return;
    closed = true;
    destroy(client);
    onEnd(false, error.message);
  });
  return {
    close: () => {
      closed = true;
      destroy(client);
    },
  };
}
