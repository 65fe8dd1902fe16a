/** A client of a test cluster over TCP (as an application would connect), and a commit's outcome. */
import pg from 'pg';
import { SUPERUSER_PASSWORD, type PgNode } from './pg-pair.js';

export async function connect(node: PgNode): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: node.settings.port, user: 'postgres', password: SUPERUSER_PASSWORD, database: 'postgres', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function query(node: PgNode, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = await connect(node);
  try {
    return await client.query(text, values);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export type Outcome = { ok: true; notices: string[] } | { ok: false; error: string; notices: string[] };

/** Runs one statement and records how it ended, with the server's notices (the WARNING of a cancelled wait). */
export function attempt(client: pg.Client, text: string, values: unknown[] = []): Promise<Outcome> {
  const notices: string[] = [];
  client.on('notice', (n) => notices.push(n.message ?? String(n)));
  return client.query(text, values).then(
    () => ({ ok: true as const, notices }),
    (error: Error) => ({ ok: false as const, error: error.message, notices }),
  );
}
