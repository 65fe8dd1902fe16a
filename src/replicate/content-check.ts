/**
 * The whole-file check of a streamed file: the replica installs a partial only if a digest of
 * every byte it holds equals the source's digest of every byte it read.
 *
 * A whole-file stream uses Poly1305 (RFC 8439 §2.5) under a key the replica draws afresh
 * (randomBytes(32)) at every `begin` and sends inside TLS; a delta keeps SHA-256 (its hashing
 * is in the addon's delta-io jobs and sha256File). Each side hashes every byte on its main
 * thread: 256 MiB took SHA-256 0.15 s there, Poly1305 through OpenSSL 0.02 s (issue 12).
 *
 * Why it is sound as a check (not as authentication: TLS authenticates the peer and every byte
 * on the wire; this catches bytes the replica holds that differ from what the source read: a
 * damaged kept prefix, a disk, a bug). For two different messages of at most L bytes, the chance
 * that their tags agree under a uniformly random key is at most 8·ceil(L/16)/2^106 (Bernstein,
 * "The Poly1305-AES message-authentication code", theorem 3.3): 2^-79 for a 256 MiB file, 2^-67
 * for 1 TiB. The bound needs the messages to be independent of the key, and they are: the key
 * is fresh per begin (never reused: Poly1305's key is one-time) and travels only inside TLS, so
 * neither the file's content nor a prefix kept from an earlier attempt can depend on it.
 *
 * A bulk transfer (bulk-io.ts) checks only the prefix kept from an earlier attempt this way:
 * the rest never passes through JavaScript, and each of its records was authenticated (AES-GCM,
 * in order, counted) before the replica wrote it, which checks the same bytes as strictly.
 *
 * Negotiated per begin, so mixed versions work: the source asks `check: 'poly1305'` when its
 * addon has the context; a replica whose addon has it answers `poly1305Key` (64 hex) unless the
 * stream is a delta; any other answer (an older replica ignores the field) means SHA-256. The
 * `end` carries `poly1305` (32 hex) or `sha256` (64 hex), the kind the begin settled.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Poly1305ContextClass } from '../net/native.js';

export type CheckKind = 'sha256' | 'poly1305';

/** Names for messages. */
export const CHECK_NAMES: Readonly<Record<CheckKind, string>> = { sha256: 'SHA-256', poly1305: 'Poly1305' };

/** A digest fed in order; digest() once. */
export interface ContentCheck {
  readonly kind: CheckKind;
  update(bytes: Buffer): void;
  /** Lower-case hex. */
  digest(): string;
}

/** What a side needs to offer Poly1305: the addon's context (absent in an addon built before it). */
export interface Poly1305Port {
  Poly1305Context?: Poly1305ContextClass;
}

export function sha256Check(): ContentCheck {
  const hash = createHash('sha256');
  return {
    kind: 'sha256',
    update: (bytes) => void hash.update(bytes),
    digest: () => hash.digest('hex'),
  };
}

export function poly1305Check(Context: Poly1305ContextClass, key: Buffer): ContentCheck {
  const context = new Context(key);
  return {
    kind: 'poly1305',
    update: (bytes) => void context.update(bytes),
    digest: () => context.digest().toString('hex'),
  };
}

/** A one-time key for one begin (r || s; OpenSSL clamps r). */
export function freshPoly1305Key(): Buffer {
  return randomBytes(32);
}

/** The key of a begin reply (64 hex digits); TypeError naming the value otherwise. */
export function poly1305KeyFromWire(value: unknown): Buffer {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new TypeError(`poly1305Key ${JSON.stringify(value)?.slice(0, 80)} is not 64 lower-case hex digits`);
  return Buffer.from(value, 'hex');
}
