/** Quoting for SQL text the server takes no parameters for (ALTER SYSTEM, CREATE ROLE), and slot names. */

/** A string literal for ALTER SYSTEM (which takes no parameters): single quotes doubled. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A quoted identifier (synchronous_standby_names members are identifiers). */
export function identifier(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Replication slot of a node (slot names: lower-case letters, digits, underscores; PostgreSQL docs 27.2.6). */
export function slotName(nodeName: string): string {
  return `hs_${nodeName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}
