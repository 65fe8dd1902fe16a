/**
 * The checker's clients, run inside the lab's client host (started with nodeEntryCommand):
 * `writers` concurrent clients insert rows through the VIP as fast as they can (or every
 * `intervalMs`), each write recorded ok / fail / unknown with who served it; every `readEvery`
 * writes a client reads back the highest row of every writer. On stdin, `{"cmd":"check","label"}`
 * reads every row on a fresh connection, `{"cmd":"stop","label"?}` stops the writers and then,
 * with a label, runs a last check. One JSON line per operation (Op,
 * history.ts) on stdout. A client that errs drops its connection and connects again, hedged
 * (hedged-connect.ts: another attempt every connectHedgeMs while none has completed), as a client
 * or pooler in front of a hot standby does.
 */
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { preciseNow } from '../request-outcome.js';
import { exitAfterLastLine } from './flushed-exit.js';
import { type ConnectAttempt, type HedgeConnector, type HedgeOptions, hedgedConnect, validateHedgeOptions } from './hedged-connect.js';
import type { CheckOp, Op, Outcome, ReadOp, ServerStamp, WriteOp } from './history.js';
import { rowId } from './history.js';
import { CERTAIN_FAILURES, CREATE_TABLE, READ_ALL, READ_MAX, WRITE } from './sql.js';

export interface WriterConfig {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  /** Prefix of this run's writer names ("r1"): ids stay unique across runs on one table. */
  readonly run: string;
  readonly writers: number;
  readonly intervalMs?: number;
  readonly readEvery?: number;
  /**
   * Overall connect timeout (ms): attempts still in flight are given up after it; default 5000,
   * generous, so a slow connect on a loaded machine completes (hedging, not this, is what is fast).
   */
  readonly connectTimeoutMs?: number;
  /**
   * Another connect attempt when none has completed after this long (ms; hedged-connect.ts); default
   * 200. 0: no hedging, a single attempt at a time (the client before hedging, with connectTimeoutMs 1000).
   */
  readonly connectHedgeMs?: number;
  /** At most this many connect attempts in flight at once; default 5 (at the limit a hedge replaces the oldest attempt still without its TCP handshake). */
  readonly connectAttempts?: number;
  /** A statement unanswered this long is unknown (a write waiting for a standby that is gone). */
  readonly queryTimeoutMs?: number;
}

interface StampRow {
  node: string;
  in_recovery: boolean;
  timeline: number;
}

export const DEFAULT_CONNECT_HEDGE_MS = 200;
export const DEFAULT_CONNECT_ATTEMPTS = 5;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

const stampOf = (row: StampRow): ServerStamp => ({ node: row.node, inRecovery: row.in_recovery, timeline: row.timeline });
const emit = (op: Op | Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(op)}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function errorText(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return `${e.code ?? 'error'}: ${e.message ?? String(error)}`.slice(0, 200);
}

/** An error that came with a SQLSTATE proving no commit is a failure; anything else after sending is unknown. */
function outcomeOfError(error: unknown): Outcome {
  const code = (error as { code?: string }).code;
  return code !== undefined && CERTAIN_FAILURES.has(code) ? 'fail' : 'unknown';
}

/** The hedging of the config (hedged-connect.ts); connectHedgeMs 0: a single attempt, the pg default client. */
export function hedgeOptionsOf(config: Pick<WriterConfig, 'connectTimeoutMs' | 'connectHedgeMs' | 'connectAttempts'>): HedgeOptions {
  const hedge = config.connectHedgeMs ?? DEFAULT_CONNECT_HEDGE_MS;
  if (!Number.isFinite(hedge) || hedge < 0) throw new RangeError(`connectHedgeMs must be 0 (no hedging) or a positive number of ms, got ${String(hedge)}`);
  const options: HedgeOptions = {
    hedgeAfterMs: hedge === 0 ? Number.POSITIVE_INFINITY : hedge,
    maxInFlight: hedge === 0 ? 1 : config.connectAttempts ?? DEFAULT_CONNECT_ATTEMPTS,
    timeoutMs: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  validateHedgeOptions(options);
  return options;
}

/** The socket under a pg client (pg keeps it on its connection from construction on). */
function streamOf(client: pg.Client): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}

/** Closes a client at once: end() waits for a server that may be gone or paused, so the socket is destroyed. */
function destroyClient(client: pg.Client): void {
  streamOf(client)?.destroy();
  void client.end().catch(() => undefined);
}

class Connection {
  private client: pg.Client | undefined;
  private notices: string[] = [];
  /** Each attempt's notices: a session's own, never pinned on another's acknowledgement. */
  private readonly sessionNotices = new WeakMap<pg.Client, string[]>();
  private readonly hedge: HedgeOptions;
  private readonly connector: HedgeConnector<pg.Client> = {
    attempt: () => this.attempt(),
    close: destroyClient,
  };

  constructor(private readonly config: WriterConfig, private readonly name: string) {
    this.hedge = hedgeOptionsOf(config);
  }

  /** A connected client, or undefined when the VIP does not answer now (nothing was sent). */
  async get(): Promise<pg.Client | undefined> {
    if (this.client) return this.client;
    const client = await hedgedConnect(this.connector, this.hedge);
    if (client === undefined) return undefined;
    this.client = client;
    this.notices = this.sessionNotices.get(client) ?? [];
    return client;
  }

  takeNotices(): string[] {
    return this.notices.splice(0);
  }

  drop(): void {
    const client = this.client;
    this.client = undefined;
    this.notices = [];
    if (client) destroyClient(client);
  }

  /** One connect attempt (hedged-connect.ts): a fresh client, its TCP connect as `established`. */
  private attempt(): ConnectAttempt<pg.Client> {
    const client = new pg.Client({
      host: this.config.host,
      port: this.config.port,
      user: this.config.user,
      password: this.config.password,
      database: this.config.database,
      application_name: this.name,
      // A backstop only: hedgedConnect gives attempts up at its own overall timeout.
      connectionTimeoutMillis: this.hedge.timeoutMs + 1000,
      query_timeout: this.config.queryTimeoutMs ?? 10_000,
      keepAlive: true,
    });
    client.on('error', () => {
      if (this.client === client) this.drop(); // a late error of a dropped session (or a loser) leaves the current one alone
    });
    // Notices belong to their session: one that ends (e.g. "terminating connection due to
    // immediate shutdown", then the error) must not be pinned on the next session's first ack,
    // not even when it is delivered after drop().
    const notices: string[] = [];
    this.sessionNotices.set(client, notices);
    client.on('notice', (notice) => notices.push(`${notice.severity ?? 'NOTICE'}: ${notice.message}`));
    const stream = streamOf(client);
    const established = stream === undefined ? undefined : new Promise<void>((resolve) => stream.once('connect', () => resolve()));
    return { connected: client.connect().then(() => client), established, abort: () => destroyClient(client) };
  }
}

async function prepareTable(config: WriterConfig, stopped: () => boolean): Promise<void> {
  const connection = new Connection(config, 'hs-check-setup');
  while (!stopped()) {
    const client = await connection.get();
    if (client) {
      try {
        await client.query(CREATE_TABLE);
        connection.drop();
        return;
      } catch {
        connection.drop();
      }
    }
    await sleep(100);
  }
}

async function runWriter(config: WriterConfig, writer: string, allWriters: string[], stopped: () => boolean): Promise<void> {
  const connection = new Connection(config, `hs-check-${writer}`);
  let n = 0;
  while (!stopped()) {
    const client = await connection.get();
    if (!client) {
      await sleep(20);
      continue;
    }
    n++;
    const id = rowId(writer, n);
    const invokedAt = preciseNow();
    try {
      const result = await client.query<StampRow & { inserted: string }>(WRITE, [id, writer, n]);
      const row = result.rows[0] as StampRow;
      const warnings = connection.takeNotices().filter((text) => !text.startsWith('NOTICE'));
      const op: WriteOp = { kind: 'write', writer, n, id, invokedAt, completedAt: preciseNow(), outcome: 'ok', server: stampOf(row), ...(warnings.length > 0 ? { warning: warnings.join(' | ') } : {}) };
      emit(op);
    } catch (error) {
      emit({ kind: 'write', writer, n, id, invokedAt, completedAt: preciseNow(), outcome: outcomeOfError(error), error: errorText(error) } satisfies WriteOp);
      connection.drop();
      continue;
    }
    if (config.readEvery !== undefined && config.readEvery > 0 && n % config.readEvery === 0) {
      const readAt = preciseNow();
      try {
        const result = await client.query<StampRow & { max_by_writer: Record<string, number | null> | null }>(READ_MAX, [allWriters]);
        const row = result.rows[0] as StampRow & { max_by_writer: Record<string, number | null> | null };
        const maxByWriter = Object.fromEntries(Object.entries(row.max_by_writer ?? {}).map(([w, m]) => [w, m ?? 0]));
        emit({ kind: 'read', writer, invokedAt: readAt, completedAt: preciseNow(), outcome: 'ok', server: stampOf(row), maxByWriter } satisfies ReadOp);
      } catch (error) {
        emit({ kind: 'read', writer, invokedAt: readAt, completedAt: preciseNow(), outcome: 'fail', error: errorText(error) } satisfies ReadOp);
        connection.drop();
      }
    }
    if (config.intervalMs) await sleep(config.intervalMs);
  }
  connection.drop();
}

/**
 * Reads every row of this run through the VIP, retrying on a fresh connection until answered.
 * The read grows with the run: 1.4 M rows by the 84th fault of a full row, where 20 s per attempt
 * and 30 s in all ran out at load 10 (2026-12-05), so the limits are generous.
 */
async function runCheck(config: WriterConfig, label: string, allWriters: string[], deadlineMs = 120_000): Promise<void> {
  const connection = new Connection({ ...config, queryTimeoutMs: 60_000 }, 'hs-check-reader');
  const until = preciseNow() + deadlineMs;
  let lastError = 'no connection';
  while (preciseNow() < until) {
    const client = await connection.get();
    if (client) {
      const invokedAt = preciseNow();
      try {
        const result = await client.query<StampRow & { ids: string[] }>(READ_ALL, [allWriters]);
        const row = result.rows[0] as StampRow & { ids: string[] };
        connection.drop();
        emit({ kind: 'check', writer: 'checker', label, invokedAt, completedAt: preciseNow(), outcome: 'ok', server: stampOf(row), ids: row.ids } satisfies CheckOp);
        return;
      } catch (error) {
        lastError = errorText(error);
        connection.drop();
      }
    }
    await sleep(100);
  }
  const now = preciseNow();
  emit({ kind: 'check', writer: 'checker', label, invokedAt: now, completedAt: now, outcome: 'fail', error: lastError } satisfies CheckOp);
}

export async function runWriters(config: WriterConfig): Promise<void> {
  let stopping = false;
  const stopped = (): boolean => stopping;
  await prepareTable(config, stopped);
  const writers = Array.from({ length: config.writers }, (_, i) => `${config.run}w${i + 1}`);
  emit({ ready: true, writers });
  const running = writers.map((writer) => runWriter(config, writer, writers, stopped));
  const commands = createInterface({ input: process.stdin });
  let checks = Promise.resolve();
  for await (const line of commands) {
    let command: { cmd?: string; label?: string };
    try {
      command = JSON.parse(line) as typeof command;
    } catch {
      continue;
    }
    if (command.cmd === 'check') {
      const label = command.label ?? 'check';
      checks = checks.then(() => runCheck(config, label, writers));
    } else if (command.cmd === 'stop') {
      // The final check begins once every writer has stopped, so it covers every acknowledgement.
      stopping = true;
      await Promise.all(running);
      await checks;
      if (command.label !== undefined) await runCheck(config, command.label, writers);
      break;
    }
  }
  stopping = true;
  await Promise.all(running);
  await checks;
  // The final check line (hundreds of KB of ids) was once cut short by exiting with it queued.
  await exitAfterLastLine(JSON.stringify({ stopped: true }));
}
