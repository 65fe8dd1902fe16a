/**
 * restic's extended options (`-o key=value`, `--option key=value`, repeatable; `restic options`
 * lists restic 0.14's). hotstandby implements `sftp.command` (the command line whose stdin/stdout
 * speak SFTP, e.g. `ssh -p 2222 user@host -s sftp`) and `s3.region`. The other keys restic knows
 * (connections, layout, …) are refused by name rather than ignored: a setting the user believes in
 * must not silently do nothing. As in restic, an option of another backend than the repository's
 * is accepted and unused (one RESTIC_… environment can serve several repositories).
 */
import type { LocationOptions } from './from-location.js';
import { splitCommandLine } from './sftp.js';

/** What each implemented key sets. */
const IMPLEMENTED: Record<string, (value: string, out: LocationOptions) => void> = {
  'sftp.command': (value, out) => {
    const words = splitCommandLine(value);
    if (words.length === 0) throw new RangeError('option sftp.command is empty: give the command line that runs the SFTP subsystem (ssh … -s sftp)');
    out.sftpCommand = value;
  },
  's3.region': (value, out) => {
    if (!/^[a-z0-9-]+$/.test(value)) throw new RangeError(`option s3.region '${value}': expected a region name such as eu-west-1`);
    out.s3Region = value;
  },
};

/** restic 0.14's other keys (`restic options`): known, but not implemented here. */
const RESTIC_ONLY = new Set([
  'azure.connections', 'b2.connections', 'gs.connections', 'local.connections', 'local.layout', 'rclone.args', 'rclone.connections', 'rclone.program',
  'rclone.timeout', 'rest.connections', 's3.bucket-lookup', 's3.connections', 's3.layout', 's3.list-objects-v1', 's3.retries', 's3.storage-class',
  'sftp.connections', 'sftp.layout', 'swift.connections',
]);

export const SUPPORTED_OPTIONS = Object.keys(IMPLEMENTED);

/**
 * Parses `key=value` options into the backend options; a RangeError names the bad one (no `=`,
 * an unknown key, a key hotstandby does not implement, a bad value). The last of a repeated key wins, as in restic.
 */
export function parseExtendedOptions(items: readonly string[]): LocationOptions {
  const out: LocationOptions = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new RangeError(`invalid option '${item}': expected key=value, e.g. sftp.command="ssh -p 2222 user@host -s sftp"`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1);
    const set = IMPLEMENTED[key];
    if (set) {
      try {
        set(value, out);
      } catch (err) {
        throw err instanceof SyntaxError ? new RangeError(`option ${key}: ${err.message}`) : err;
      }
    } else if (RESTIC_ONLY.has(key)) throw new RangeError(`option ${key} is not supported by hotstandby (supported: ${SUPPORTED_OPTIONS.join(', ')})`);
    else throw new RangeError(`option ${key} is not known (supported: ${SUPPORTED_OPTIONS.join(', ')})`);
  }
  return out;
}
