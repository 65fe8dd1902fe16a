/**
 * What each `hotstandby backup` verb module gets from the dispatcher (src/cli/backup.ts): its
 * parsed options and arguments, the repository opened from --repo / --password-file / restic's
 * environment variables, and output helpers honouring --json.
 */
import type { Writable } from 'node:stream';
import type { Repository } from '../../backup/index.js';
import type { OptionsConfig } from '../parse-command.js';

/** A usage problem found after parsing: exit 64 with the help. */
export class UsageError extends Error {}

export interface VerbContext {
  values: Record<string, unknown> & { json: boolean };
  args: string[];
  openRepo(): Promise<Repository>;
  /** One result: its JSON with --json, else the text. */
  print(obj: unknown, text: string): void;
  stdout: Writable;
  stderr: NodeJS.WriteStream;
}

export interface VerbModule {
  /** The verb's line(s) in `hotstandby backup --help`. */
  help: string;
  options: OptionsConfig;
  run(ctx: VerbContext): Promise<number>;
}

/** restic's snapshot filter flags, on the verbs that choose snapshots. */
export const SELECT_OPTIONS = {
  host: { type: 'string', multiple: true, short: 'H' },
  tag: { type: 'string', multiple: true },
  path: { type: 'string', multiple: true },
} as const satisfies OptionsConfig;

export function selection(values: Record<string, unknown>): { hosts?: string[]; tags?: string[]; paths?: string[] } {
  const list = (k: string) => (values[k] as string[] | undefined) ?? [];
  return { hosts: list('host'), tags: list('tag'), paths: list('path') };
}

export const shortId = (id: string) => id.slice(0, 8);
