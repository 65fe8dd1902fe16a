/**
 * The delta a source sends for one file: a sequence of operations that rebuild its new version
 * from the replica's copy (the basis), in output order (Tridgell & Mackerras 1996, section 3,
 * step 4: "a sequence of instructions ... either a reference to a block of A or literal data").
 * Copies name a byte range of the basis rather than a block number, so a resumed transfer can
 * start in the middle of one.
 *
 *   literal: u8 1 | u32 length | bytes
 *   copy:    u8 2 | u64 basis offset | u32 length
 */

export type DeltaOp = { kind: 'literal'; bytes: Buffer } | { kind: 'copy'; from: number; length: number };

const LITERAL = 1;
const COPY = 2;
const COPY_BYTES = 1 + 8 + 4;
const LITERAL_HEAD = 1 + 4;

export function opLength(op: DeltaOp): number {
  return op.kind === 'literal' ? op.bytes.length : op.length;
}

export function encodedLength(op: DeltaOp): number {
  return op.kind === 'literal' ? LITERAL_HEAD + op.bytes.length : COPY_BYTES;
}

export function encodeOps(ops: readonly DeltaOp[]): Buffer {
  const parts: Buffer[] = [];
  for (const op of ops) {
    if (op.kind === 'literal') {
      const head = Buffer.alloc(LITERAL_HEAD);
      head.writeUInt8(LITERAL, 0);
      head.writeUInt32BE(op.bytes.length, 1);
      parts.push(head, op.bytes);
    } else {
      const rec = Buffer.alloc(COPY_BYTES);
      rec.writeUInt8(COPY, 0);
      rec.writeBigUInt64BE(BigInt(op.from), 1);
      rec.writeUInt32BE(op.length, 9);
      parts.push(rec);
    }
  }
  return Buffer.concat(parts);
}

/** Parses a payload; a malformed one throws a RangeError naming the offset (never a crash). */
export function decodeOps(payload: Buffer): DeltaOp[] {
  const ops: DeltaOp[] = [];
  let at = 0;
  while (at < payload.length) {
    const kind = payload.readUInt8(at);
    if (kind === LITERAL) {
      if (at + LITERAL_HEAD > payload.length) throw new RangeError(`Delta literal at byte ${at} is truncated`);
      const length = payload.readUInt32BE(at + 1);
      if (length === 0 || at + LITERAL_HEAD + length > payload.length) throw new RangeError(`Delta literal at byte ${at} has length ${length}, ${payload.length - at - LITERAL_HEAD} bytes follow`);
      ops.push({ kind: 'literal', bytes: payload.subarray(at + LITERAL_HEAD, at + LITERAL_HEAD + length) });
      at += LITERAL_HEAD + length;
    } else if (kind === COPY) {
      if (at + COPY_BYTES > payload.length) throw new RangeError(`Delta copy at byte ${at} is truncated`);
      const from = payload.readBigUInt64BE(at + 1);
      const length = payload.readUInt32BE(at + 9);
      if (from > BigInt(Number.MAX_SAFE_INTEGER) || length === 0) throw new RangeError(`Delta copy at byte ${at} of ${length} bytes from ${from} is out of range`);
      ops.push({ kind: 'copy', from: Number(from), length });
      at += COPY_BYTES;
    } else {
      throw new RangeError(`Delta operation ${kind} at byte ${at} is unknown`);
    }
  }
  return ops;
}

/**
 * The part of `op`, which starts at output offset `at`, that lies at or after `offset` (a
 * resumed transfer skips what the replica already holds); undefined when none does.
 */
export function trimOp(op: DeltaOp, at: number, offset: number): DeltaOp | undefined {
  const length = opLength(op);
  if (at + length <= offset) return undefined;
  if (at >= offset) return op;
  const skip = offset - at;
  return op.kind === 'literal' ? { kind: 'literal', bytes: op.bytes.subarray(skip) } : { kind: 'copy', from: op.from + skip, length: op.length - skip };
}
