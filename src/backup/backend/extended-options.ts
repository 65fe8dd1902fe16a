/**
 * restic's extended options (`-o key=value`, `--option key=value`, repeatable; `restic options`
 * lists restic 0.14's). hotstandby implements, with restic 0.14's names and meanings:
 * - `local.connections`, `sftp.connections`, `s3.connections`: at most this many requests to the
 *   backend at once (restic's defaults: 2, 5, 5; ours without the option: no limit for local and
 *   SFTP, 8 for S3);
 * - `local.layout`, `sftp.layout`, `s3.layout`: `default` only (design.rst, "Repository Layout");
 *   restic's other layouts (`s3legacy`, the old S3 layout without `data/` subdirectories) are
 *   refused rather than misread;
 * - `sftp.command`: the command line whose stdin/stdout speak SFTP (`ssh -p 2222 user@host -s sftp`);
 * - `s3.region`, `s3.storage-class` (the `x-amz-storage-class` of every object written, e.g.
 *   STANDARD_IA), `s3.list-objects-v1` (ListObjects version 1, for stores without V2; a Go
 *   boolean), `s3.bucket-lookup` (`auto`, `dns` for virtual-hosted requests, `path`; backend/s3/target.ts).
 * The other keys restic knows (other backends' options, …) are refused by name rather than
 * ignored: a setting the user believes in must not silently do nothing. As in restic, an option of
 * another backend than the repository's is accepted and unused (one RESTIC_… environment can
 * serve several repositories).
 */
import type { LocationOptions } from './from-location.js';
import { splitCommandLine } from './sftp.js';

/** A connection limit: a whole number, at least 1 (restic: a uint, 0 refused by the backend). */
function connections(key: string, value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) throw new RangeError(`option ${key} '${value}': expected a whole number of connections, at least 1`);
  return Number(value);
}

/** restic's layouts: `default` is the only one hotstandby reads and writes. */
function layout(key: string, value: string): void {
  if (value === 'default') return;
  if (value === 's3legacy' || value === 'cloud') throw new RangeError(`option ${key} '${value}': hotstandby supports only the default layout (restic's ${value} layout is not)`);
  throw new RangeError(`option ${key} '${value}': unknown layout (restic's are default and s3legacy; hotstandby supports default)`);
}

/** Go's strconv.ParseBool, as restic parses boolean options. */
function goBool(key: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new RangeError(`option ${key} '${value}': expected true or false`);
}

/** What each implemented key sets. */
const IMPLEMENTED: Record<string, (value: string, out: LocationOptions, key: string) => void> = {
  'local.connections': (value, out, key) => void (out.localConnections = connections(key, value)),
  'local.layout': (value, _out, key) => layout(key, value),
  'sftp.command': (value, out) => {
    const words = splitCommandLine(value);
    if (words.length === 0) throw new RangeError('option sftp.command is empty: give the command line that runs the SFTP subsystem (ssh … -s sftp)');
    out.sftpCommand = value;
  },
  'sftp.connections': (value, out, key) => void (out.sftpConnections = connections(key, value)),
  'sftp.layout': (value, _out, key) => layout(key, value),
  's3.bucket-lookup': (value, out) => {
    if (value !== 'auto' && value !== 'dns' && value !== 'path') throw new RangeError(`option s3.bucket-lookup '${value}': expected auto, dns or path`);
    out.s3BucketLookup = value;
  },
  's3.connections': (value, out, key) => void (out.s3Connections = connections(key, value)),
  's3.layout': (value, _out, key) => layout(key, value),
  's3.list-objects-v1': (value, out, key) => void (out.s3ListObjectsV1 = goBool(key, value)),
  's3.region': (value, out) => {
    if (!/^[a-z0-9-]+$/.test(value)) throw new RangeError(`option s3.region '${value}': expected a region name such as eu-west-1`);
    out.s3Region = value;
  },
  's3.storage-class': (value, out) => {
    // S3's names (PutObject, x-amz-storage-class): STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, …
    if (!/^[A-Z][A-Z0-9_]*$/.test(value)) throw new RangeError(`option s3.storage-class '${value}': expected an S3 storage class such as STANDARD or STANDARD_IA`);
    out.s3StorageClass = value;
  },
};

/** restic 0.14's other keys (`restic options`): known, but not implemented here. */
const RESTIC_ONLY = new Set([
  'azure.connections', 'b2.connections', 'gs.connections', 'rclone.args', 'rclone.connections', 'rclone.program',
  'rclone.timeout', 'rest.connections', 's3.retries', 'swift.connections',
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
        set(value, out, key);
      } catch (err) {
        throw err instanceof SyntaxError ? new RangeError(`option ${key}: ${err.message}`) : err;
      }
    } else if (RESTIC_ONLY.has(key)) throw new RangeError(`option ${key} is not supported by hotstandby (supported: ${SUPPORTED_OPTIONS.join(', ')})`);
    else throw new RangeError(`option ${key} is not known (supported: ${SUPPORTED_OPTIONS.join(', ')})`);
  }
  return out;
}
