/**
 * The record of VIPs this daemon put on an interface, kept in the runtime directory so that a
 * daemon restarted after kill -9 knows which addresses it left behind (the kernel keeps them)
 * and removes them, while an address it never added — one configured by hand — is left alone.
 *
 * An append-only journal ("+key" / "-key" lines) written synchronously on an open descriptor:
 * a line is in the page cache before the kernel request it announces is sent, so a crash
 * between the two leaves at most a record of an address that is not there (harmless).
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

/** Which VIPs (by "ifindex address") this daemon added and has not removed yet. */
export interface AddedVips {
  has(key: string): boolean;
  add(key: string): void;
  delete(key: string): void;
}

export const VIP_LEDGER_FILE = 'added-vips';

/** The record for one process only (tests, and a holder nobody gave a ledger). */
export class MemoryVipLedger implements AddedVips {
  private readonly keys = new Set<string>();
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.add(key);
  }
  delete(key: string): void {
    this.keys.delete(key);
  }
}

export class FileVipLedger implements AddedVips {
  private constructor(
    private readonly keys: Set<string>,
    private fd: number | undefined,
  ) {}

  /** Reads what an earlier run recorded in `path` (runtimeDir/added-vips) and compacts the journal to what is still held. */
  static open(path: string): FileVipLedger {
    const keys = existsSync(path) ? replay(readFileSync(path, 'utf8')) : new Set<string>();
    const compacted = `${path}.new`;
    writeFileSync(compacted, [...keys].map((k) => `+${k}\n`).join(''), { mode: 0o644 });
    renameSync(compacted, path);
    return new FileVipLedger(keys, openSync(path, 'a'));
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Every address recorded as added and not removed, by "ifindex address". */
  recorded(): string[] {
    return [...this.keys];
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.append(`+${key}\n`);
  }

  delete(key: string): void {
    if (!this.keys.delete(key)) return;
    this.append(`-${key}\n`);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private append(line: string): void {
    if (this.fd !== undefined) writeSync(this.fd, line);
  }
}

/** The keys a journal leaves recorded; unreadable lines (a torn last write) are skipped. */
export function replay(text: string): Set<string> {
  const keys = new Set<string>();
  for (const line of text.split('\n')) {
    const key = line.slice(1);
    if (key.length === 0) continue;
    if (line.startsWith('+')) keys.add(key);
    else if (line.startsWith('-')) keys.delete(key);
  }
  return keys;
}
