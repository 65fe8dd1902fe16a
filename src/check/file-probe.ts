/**
 * file check (keepalived track_file): the file holds a number. The probe reports it as `value`;
 * what it means for priority (value × weight, or FAULT with weight 0) is the tracker's business.
 * A missing, unreadable or non-numeric file reads as 0 (keepalived's rule) and the detail says why;
 * `ok` is false only in those cases, for the record.
 */
import { open } from 'node:fs/promises';
import type { FileCheckConfig } from '../config/check-model.js';
import { abortedDetail, describeError, printable, withDeadline, type Probe, type ProbeResult, type ProbeTime } from './probe.js';

/** Only the start of the file matters: the number is on the first line. */
export const FILE_READ_LIMIT = 4096;

export type FileProbeConfig = Pick<FileCheckConfig, 'path' | 'timeoutMs'>;

export function createFileProbe(config: FileProbeConfig, time: ProbeTime): Probe {
  return {
    async run(signal) {
      const started = time.clock.now();
      const finish = (ok: boolean, value: number, detail: string): ProbeResult => ({ ok, value, latencyMs: time.clock.now() - started, detail });
      const outcome = await withDeadline(readStart(config.path), started + config.timeoutMs, signal, time);
      if (outcome === 'aborted') return finish(false, 0, abortedDetail(signal));
      if (outcome === 'timeout') return finish(false, 0, `timed out after ${config.timeoutMs} ms reading ${config.path}; counts as 0`);
      const read = outcome.done;
      if (typeof read !== 'string') return finish(false, 0, `${config.path}: ${read.error}; counts as 0`);
      const parsed = parseTrackedNumber(read);
      if (typeof parsed === 'string') return finish(false, 0, `${config.path}: ${parsed}; counts as 0`);
      return finish(true, parsed, `${config.path} holds ${parsed}`);
    },
  };
}

/**
 * The number on the first line: an optionally signed decimal integer, surrounded by nothing but
 * white space. An empty file is 0. Otherwise why it is not a number.
 */
export function parseTrackedNumber(text: string): number | string {
  const line = (text.split('\n', 1)[0] ?? '').trim();
  if (line === '') return 0;
  if (!/^[+-]?\d+$/.test(line)) return `not a number: '${printable(line, 40)}'`;
  const value = Number(line);
  if (!Number.isSafeInteger(value)) return `number out of range: '${printable(line, 40)}'`;
  return value === 0 ? 0 : value; // no -0
}

async function readStart(path: string): Promise<string | { error: string }> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(FILE_READ_LIMIT);
    const { bytesRead } = await handle.read(buffer, 0, FILE_READ_LIMIT, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? 'missing' : code ?? describeError(err) };
  } finally {
    await handle?.close().catch(() => {});
  }
}
