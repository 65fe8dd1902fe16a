/**
 * The on-disk types: each encoder's output decodes to the same value and re-encodes to the same
 * bytes; JSON is spelled the way Go spells it; encryption detects tampering and wrong keys.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeRepoConfig, encodeRepoConfig, newRepoConfig } from '../../src/backup/repo/config.js';
import { zstd } from '../../src/backup/repo/compression.js';
import { AuthenticationError, CRYPTO_OVERHEAD, open, randomMasterKey, seal } from '../../src/backup/repo/crypto.js';
import { formatGoTime, goJsonEncode, goJsonString, goQuote, goTimeFromNs, goUnquote, parseGoTime } from '../../src/backup/repo/go-json.js';
import { decodeIndexFile, encodeIndexFile } from '../../src/backup/repo/index-file.js';
import { createKeyFile, decodeKeyFile, encodeKeyFile, openKeyFile } from '../../src/backup/repo/key-file.js';
import { decodeLock, encodeLock } from '../../src/backup/repo/lock.js';
import { decodePackHeader, decodePackTrailer, encodePackHeader, encodePackTrailer, headerEncodingLength, type PackedBlob } from '../../src/backup/repo/pack.js';
import { decodeSnapshot, encodeSnapshot, type Snapshot } from '../../src/backup/repo/snapshot.js';
import { decodeTree, encodeTree, goModeFromUnix, sameNodeEncoding, unixPermFromGoMode, type TreeNode } from '../../src/backup/repo/tree.js';
import { decodeUnpacked, encodeUnpacked } from '../../src/backup/repo/unpacked.js';
import { bytesToName, fsPath, nameToBytes } from '../../src/backup/repo/names.js';

test('bytesToName() and nameToBytes() round-trip any bytes; valid UTF-8 stays a plain string', () => {
  const cases = [Buffer.from('plain é 😀'), Buffer.from([0x61, 0xff, 0x62]), Buffer.from([0xed, 0xa0, 0x80, 0xc3]), Buffer.from([0xf0, 0x9f, 0x98]), Buffer.alloc(0)];
  for (const b of cases) assert.deepEqual(nameToBytes(bytesToName(b)), b);
  assert.equal(bytesToName(Buffer.from('plain é 😀')), 'plain é 😀');
  assert.equal(bytesToName(Buffer.from([0x61, 0xff])), 'a\udcff');
  assert.equal(fsPath('/a/b'), '/a/b');
  assert.deepEqual(fsPath('/a/\udcff'), Buffer.from([0x2f, 0x61, 0x2f, 0xff]));
});

test('a tree node whose name is not UTF-8 keeps its bytes through encodeTree() and decodeTree()', () => {
  const t = parseGoTime('2020-01-01T00:00:00Z');
  const name = bytesToName(Buffer.from([0x62, 0xff, 0x0a, 0x22]));
  const bytes = encodeTree([{ name, type: 'file', mode: 0o644, mtime: t, atime: t, ctime: t, uid: 0, gid: 0, content: [] }]);
  assert.ok(bytes.toString().includes('"name":"b\\\\xff\\\\n\\\\\\""'), bytes.toString());
  assert.deepEqual(nameToBytes(decodeTree(bytes)[0]!.name), Buffer.from([0x62, 0xff, 0x0a, 0x22]));
});

const id = () => randomBytes(32).toString('hex');
const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

test('goJsonString() escapes like Go: < > & U+2028 as \\u, control characters as \\u00XX, lone surrogates as U+FFFD', () => {
  assert.equal(goJsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
  assert.equal(goJsonString('q"\\\n\r\t\b\f\u0001'), '"q\\"\\\\\\n\\r\\t\\u0008\\u000c\\u0001"');
  assert.equal(goJsonString('\u2028\u2029é😀'), '"\\u2028\\u2029é😀"');
  assert.equal(goJsonString('x\ud800y'), '"x\ufffdy"');
});

test('goQuote() quotes names as Go\'s strconv.Quote; goUnquote() gives the bytes back', () => {
  const cases: [Buffer, string][] = [
    [Buffer.from('plain name.txt'), 'plain name.txt'],
    [Buffer.from('we"ird \\ name\nline\t\u0001\u007f'), 'we\\"ird \\\\ name\\nline\\t\\x01\\x7f'],
    [Buffer.from('é😀\u00a0\u200b'), 'é😀\\u00a0\\u200b'],
    [Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]), 'a\\xff\\xc3(\\xed\\xa0\\x80'],
  ];
  for (const [bytes, quoted] of cases) {
    assert.equal(goQuote(bytes), quoted);
    assert.deepEqual(goUnquote(quoted), bytes);
  }
  assert.deepEqual(goUnquote('\\101\\u00e9\\U0001F600'), Buffer.from('Aé😀'));
  for (const bad of ['a"b', 'a\\', 'a\\q', 'a\nb', '\\xZZ', '\\400']) assert.throws(() => goUnquote(bad), SyntaxError, bad);
});

test('formatGoTime() writes RFC 3339 with trimmed nanoseconds and the zone; parseGoTime() reads it back', () => {
  const cases: [string, { sec: number; nsec: number; offsetMinutes: number }][] = [
    ['2014-12-22T14:47:59.912418701+01:00', { sec: 1419256079, nsec: 912418701, offsetMinutes: 60 }],
    ['2015-01-02T18:10:50.8952085+01:00', { sec: 1420218650, nsec: 895208500, offsetMinutes: 60 }],
    ['2020-02-29T00:00:00Z', { sec: 1582934400, nsec: 0, offsetMinutes: 0 }],
    ['1969-12-31T23:59:59.000000001-05:30', { sec: 19799, nsec: 1, offsetMinutes: -330 }],
    ['0001-01-01T00:00:00Z', { sec: -62135596800, nsec: 0, offsetMinutes: 0 }],
  ];
  for (const [text, t] of cases) {
    assert.deepEqual(parseGoTime(text), t, text);
    assert.equal(formatGoTime(t), text);
  }
  assert.throws(() => parseGoTime('2020-02-29 00:00:00'), SyntaxError);
  assert.deepEqual(goTimeFromNs(-1n), { sec: -1, nsec: 999999999, offsetMinutes: goTimeFromNs(-1n).offsetMinutes });
});

test('seal() and open() round-trip; a flipped bit or another key is an AuthenticationError', () => {
  const key = randomMasterKey();
  for (const n of [0, 1, 15, 16, 17, 1000]) {
    const plain = randomBytes(n);
    const sealed = seal(key, plain);
    assert.equal(sealed.length, n + CRYPTO_OVERHEAD);
    assert.deepEqual(open(key, sealed), plain);
    const bad = Buffer.from(sealed);
    bad[bad.length >> 1]! ^= 1;
    assert.throws(() => open(key, bad), AuthenticationError);
    assert.throws(() => open(randomMasterKey(), sealed), AuthenticationError);
  }
});

test('encodeRepoConfig() writes restic\'s three fields; decode rejects an unknown version', () => {
  const c = newRepoConfig(0x3da3358b4dc173n);
  const bytes = encodeRepoConfig(c);
  assert.equal(bytes.toString(), `{"version":2,"id":"${c.id}","chunker_polynomial":"3da3358b4dc173"}`);
  assert.deepEqual(decodeRepoConfig(bytes), c);
  assert.throws(() => decodeRepoConfig(Buffer.from(`{"version":3,"id":"${c.id}","chunker_polynomial":"1"}`)), RangeError);
});

test('key files round-trip and open with the right password only', async () => {
  const master = randomMasterKey();
  const k = await createKeyFile('secret', master, { username: 'u', hostname: 'h' }, FAST_SCRYPT);
  const bytes = encodeKeyFile(k);
  assert.match(bytes.toString(), /^\{"created":"[^"]+","username":"u","hostname":"h","kdf":"scrypt","N":1024,"r":8,"p":1,"salt":"[^"]+","data":"[^"]+"\}$/);
  const decoded = decodeKeyFile(bytes);
  assert.deepEqual(encodeKeyFile(decoded), bytes);
  const opened = await openKeyFile('secret', decoded);
  assert.deepEqual(Buffer.from(opened.encrypt), Buffer.from(master.encrypt));
  await assert.rejects(openKeyFile('wrong', decoded), AuthenticationError);
});

test('unpacked files: version 2 is the byte 2 and a zstd frame; plain JSON is read too', () => {
  const key = randomMasterKey();
  const json = Buffer.from(JSON.stringify({ a: 'x'.repeat(1000) }));
  const v2 = encodeUnpacked(key, json, zstd);
  assert.equal(open(key, v2)[0], 2);
  assert.ok(v2.length < json.length);
  assert.deepEqual(Buffer.from(decodeUnpacked(key, v2, zstd)), json);
  assert.deepEqual(Buffer.from(decodeUnpacked(key, encodeUnpacked(key, json, undefined), zstd)), json);
  assert.throws(() => decodeUnpacked(key, seal(key, Buffer.from([7, 1, 2])), zstd), RangeError);
});

test('pack headers: 37-byte plain and 41-byte compressed entries round-trip with offsets', () => {
  const blobs: PackedBlob[] = [
    { type: 'data', id: id(), offset: 0, length: 100 },
    { type: 'tree', id: id(), offset: 100, length: 50, uncompressedLength: 300 },
    { type: 'data', id: id(), offset: 150, length: 7, uncompressedLength: 9 },
    { type: 'tree', id: id(), offset: 157, length: 33 },
  ];
  const header = encodePackHeader(blobs);
  assert.equal(header.length, 37 + 41 + 41 + 37);
  assert.equal(header.length, headerEncodingLength(blobs));
  assert.deepEqual([header[0], header[37], header[78], header[119]], [0, 3, 2, 1]);
  assert.deepEqual(decodePackHeader(header), blobs);
  const key = randomMasterKey();
  const trailer = encodePackTrailer(key, blobs);
  assert.equal(trailer.readUInt32LE(trailer.length - 4), header.length + CRYPTO_OVERHEAD);
  assert.deepEqual(decodePackTrailer(key, trailer.subarray(0, trailer.length - 4)), blobs);
  assert.throws(() => decodePackHeader(Buffer.from([4])), RangeError);
});

test('index files: omitempty on supersedes and uncompressed_length; round-trip', () => {
  const packs = [{ id: id(), blobs: [{ type: 'data' as const, id: id(), offset: 0, length: 38 }, { type: 'tree' as const, id: id(), offset: 38, length: 112, uncompressedLength: 511 }] }];
  const bytes = encodeIndexFile({ supersedes: [], packs });
  assert.ok(bytes.toString().startsWith('{"packs":[{"id":'));
  assert.ok(bytes.toString().includes('"offset":0,"length":38},{'));
  assert.ok(bytes.toString().includes('"length":112,"uncompressed_length":511}'));
  assert.deepEqual(decodeIndexFile(bytes), { supersedes: [], packs });
  const sup = encodeIndexFile({ supersedes: [id()], packs });
  assert.deepEqual(encodeIndexFile(decodeIndexFile(sup)), sup);
});

test('index files are written byte for byte as Go\'s json.Marshal writes them (goJsonEncode of the index struct), large ones too', () => {
  const viaGoJson = (supersedes: string[], packs: { id: string; blobs: PackedBlob[] }[]) =>
    goJsonEncode({
      supersedes: supersedes.length ? supersedes : undefined,
      packs: packs.map((p) => ({ id: p.id, blobs: p.blobs.map((b) => ({ id: b.id, type: b.type, offset: b.offset, length: b.length, uncompressed_length: b.uncompressedLength || undefined })) })),
    });
  const packs = Array.from({ length: 40 }, (_, i) => ({
    id: id(),
    blobs: Array.from({ length: i * 37 }, (_, j): PackedBlob => {
      const b: PackedBlob = { type: j % 3 ? 'data' : 'tree', id: id(), offset: j * 4_000_000, length: 2 ** 32 - 1 - j };
      if (j % 2) b.uncompressedLength = 2 ** 40 + j;
      return b;
    }),
  }));
  for (const [sup, ps] of [[[], []], [[id(), id()], packs], [[], packs.slice(0, 3)]] as const) {
    assert.equal(encodeIndexFile({ supersedes: [...sup], packs: [...ps] }).toString('latin1'), viaGoJson([...sup], [...ps]));
  }
  assert.throws(() => encodeIndexFile({ supersedes: [], packs: [{ id: 'nothex', blobs: [] }] }), /Invalid id 'nothex'/);
  assert.throws(() => encodeIndexFile({ supersedes: [], packs: [{ id: id(), blobs: [{ type: 'data', id: id(), offset: -1, length: 1 }] }] }), /Invalid length or offset -1/);
});

test('snapshots: restic\'s field order, omitempty, round-trip', () => {
  const s: Snapshot = {
    time: parseGoTime('2015-01-02T18:10:50.895208559+01:00'),
    tree: id(),
    paths: ['/tmp/testdata'],
    hostname: 'kasimir',
    username: 'fd0',
    uid: 1000,
    gid: 100,
    tags: ['NL'],
    programVersion: 'hotstandby 0.1.0',
  };
  const bytes = encodeSnapshot(s);
  assert.equal(
    bytes.toString(),
    `{"time":"2015-01-02T18:10:50.895208559+01:00","tree":"${s.tree}","paths":["/tmp/testdata"],"hostname":"kasimir","username":"fd0","uid":1000,"gid":100,"tags":["NL"],"program_version":"hotstandby 0.1.0"}`,
  );
  assert.deepEqual(decodeSnapshot(bytes), s);
});

test('locks: restic\'s fields, round-trip', () => {
  const l = { time: parseGoTime('2015-06-27T12:18:51.759239612+02:00'), exclusive: false, hostname: 'kasimir', username: 'fd0', pid: 13607, uid: 1000, gid: 100 };
  const bytes = encodeLock(l);
  assert.equal(bytes.toString(), '{"time":"2015-06-27T12:18:51.759239612+02:00","exclusive":false,"hostname":"kasimir","username":"fd0","pid":13607,"uid":1000,"gid":100}');
  assert.deepEqual(decodeLock(bytes), l);
});

test('trees: Go\'s node field order, content null for directories, a trailing newline, round-trip', () => {
  const t = parseGoTime('2014-12-22T14:47:59.912418701+01:00');
  const dir: TreeNode = { name: 'testdata', type: 'dir', mode: goModeFromUnix(0o40755), mtime: t, atime: t, ctime: t, uid: 1000, gid: 100, user: 'fd0', inode: 409704562, content: null, subtree: id() };
  const file: TreeNode = { name: 'z<&>', type: 'file', mode: goModeFromUnix(0o104644), mtime: t, atime: t, ctime: t, uid: 0, gid: 0, inode: 1, deviceId: 2049, size: 1234, links: 1, content: [id()] };
  const empty: TreeNode = { name: 'zz', type: 'file', mode: 0o644, mtime: t, atime: t, ctime: t, uid: 0, gid: 0, content: [] };
  const bytes = encodeTree([dir, file, empty]);
  const text = bytes.toString();
  assert.ok(text.startsWith('{"nodes":[{"name":"testdata","type":"dir","mode":2147484141,"mtime":"2014-12-22T14:47:59.912418701+01:00",'));
  assert.ok(text.includes('"uid":1000,"gid":100,"user":"fd0","inode":409704562,"content":null,"subtree":"'));
  assert.ok(text.includes('"name":"z\\u003c\\u0026\\u003e","type":"file","mode":8389028,'));
  assert.ok(text.includes('"uid":0,"gid":0,"inode":1,"device_id":2049,"size":1234,"links":1,"content":["'));
  assert.ok(text.includes('"uid":0,"gid":0,"content":[]}'));
  assert.ok(text.endsWith(']}\n'));
  assert.deepEqual(decodeTree(bytes), [dir, file, empty]);
  assert.deepEqual(encodeTree(decodeTree(bytes)), bytes);
  assert.equal(encodeTree([]).toString(), '{"nodes":[]}\n');
  assert.throws(() => encodeTree([file, dir]), RangeError);
});

test('goModeFromUnix() maps st_mode to Go\'s os.FileMode and back to chmod bits', () => {
  assert.equal(goModeFromUnix(0o120777), 2 ** 27 + 0o777);
  assert.equal(goModeFromUnix(0o020620), 2 ** 26 + 2 ** 21 + 0o620);
  assert.equal(goModeFromUnix(0o41777), 2 ** 31 + 2 ** 20 + 0o777);
  for (const perm of [0o644, 0o4755, 0o2750, 0o1777, 0o7000]) assert.equal(unixPermFromGoMode(goModeFromUnix(0o100000 | perm)), perm);
});

test('sameNodeEncoding() is true exactly when encodeTree() writes the same bytes for the two nodes', () => {
  const t = (sec: number, nsec = 0, offsetMinutes = 0) => ({ sec, nsec, offsetMinutes });
  const base: TreeNode = {
    name: 'f', type: 'file', mode: 0o644, mtime: t(1e9, 5), atime: t(1e9, 5), ctime: t(1e9, 7), uid: 1, gid: 2, user: 'u', group: 'g',
    inode: 9, deviceId: 3, size: 4, links: 1, extendedAttributes: [{ name: 'user.a', value: Buffer.from('x') }], content: ['a'.repeat(64)],
  };
  const variants: Partial<TreeNode>[] = [
    {}, { name: 'g' }, { type: 'symlink' }, { mode: 0o600 }, { mtime: t(1e9, 6) }, { atime: t(1e9, 5, 60) }, { ctime: t(2e9, 7) },
    { uid: 0 }, { gid: 0 }, { user: undefined }, { user: '' }, { group: 'h' }, { inode: 0 }, { inode: undefined }, { deviceId: 4 },
    { size: 5 }, { links: 2 }, { linktarget: 'x' }, { device: 1 }, { error: 'e' }, { subtree: 'b'.repeat(64) },
    { extendedAttributes: [] }, { extendedAttributes: undefined }, { extendedAttributes: [{ name: 'user.a', value: Buffer.from('y') }] },
    { extendedAttributes: [{ name: 'user.b', value: Buffer.from('x') }] }, { content: null }, { content: [] }, { content: ['c'.repeat(64)] },
    { content: ['a'.repeat(64), 'a'.repeat(64)] },
  ];
  const nodes = variants.map((v) => ({ ...base, ...v }) as TreeNode);
  // Absent and empty spell the same JSON under omitempty: those pairs must compare equal too.
  nodes.push({ ...base, extendedAttributes: undefined, user: undefined, inode: undefined }, { ...base, extendedAttributes: [], user: '', inode: 0 });
  let equalPairs = 0;
  for (const a of nodes) {
    for (const b of nodes) {
      const same = encodeTree([a]).equals(encodeTree([b]));
      if (same) equalPairs++;
      assert.equal(sameNodeEncoding(a, b), same, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  }
  assert.ok(equalPairs > nodes.length, 'some distinct objects encode alike');
});
