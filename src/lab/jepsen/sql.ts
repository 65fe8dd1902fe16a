/**
 * The checker's SQL (PostgreSQL 15). Every statement returns, in the same snapshot, who served it:
 * the node (lab data directories are `…/pg-<host>/data`, so the host name is read from
 * data_directory — cluster_name may be one name for the whole cluster, as Patroni sets it; the
 * checker connects as a superuser in the lab), pg_is_in_recovery(), and the timeline the server writes
 * on — the first 8 hex digits of the current WAL file name (pg_walfile_name(pg_current_wal_lsn()),
 * https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADMIN-BACKUP); a standby has
 * no current WAL insert position, so 0 there.
 */

export const TABLE = 'hs_check';

export const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  id text PRIMARY KEY,
  writer text NOT NULL,
  n integer NOT NULL
);
CREATE INDEX IF NOT EXISTS ${TABLE}_writer_n ON ${TABLE} (writer, n)`;

const STAMP = `regexp_replace(current_setting('data_directory'), '^.*/pg-([^/]+)/[^/]+$', '\\1') AS node, pg_is_in_recovery() AS in_recovery,
  CASE WHEN pg_is_in_recovery() THEN 0
       ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::integer END AS timeline`;

/** $1 id, $2 writer, $3 n. */
export const WRITE = `WITH ins AS (INSERT INTO ${TABLE} (id, writer, n) VALUES ($1, $2, $3) RETURNING 1)
SELECT (SELECT count(*) FROM ins) AS inserted, ${STAMP}`;

/** $1 text[] of writers: the highest n of each (an index scan each, however big the table). */
export const READ_MAX = `SELECT (SELECT json_object_agg(w, (SELECT max(n) FROM ${TABLE} WHERE writer = w)) FROM unnest($1::text[]) AS w) AS max_by_writer, ${STAMP}`;

/** $1 text[] of writers: every id of theirs. */
export const READ_ALL = `SELECT (SELECT coalesce(array_agg(id), '{}') FROM ${TABLE} WHERE writer = ANY($1::text[])) AS ids, ${STAMP}`;

/** SQLSTATEs that prove the statement did not commit (anything else after sending is unknown). */
export const CERTAIN_FAILURES: ReadonlySet<string> = new Set([
  '25006', // read_only_sql_transaction: a standby refused it
  '42P01', // undefined_table
  '23505', // unique_violation (an id is never reused: a bug in the writer)
]);
