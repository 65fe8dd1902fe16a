/**
 * Key files in `keys/` (design.rst, "Keys, Encryption and MAC"): plain JSON with the scrypt
 * parameters, the salt and the master key encrypted under the key derived from the password.
 * scrypt(password, salt, N, r, p) gives 64 bytes: the AES-256 key, then the MAC's k and r. The
 * decrypted `data` is `{"mac":{"k":…,"r":…},"encrypt":…}` with base64 fields. A key file is named
 * by the SHA-256 of its bytes.
 */
import { randomBytes, scrypt } from 'node:crypto';
import { AuthenticationError, masterKeyFromBytes, open, seal, type MasterKey } from './crypto.js';
import { formatGoTime, goJsonEncode, goTimeNow, parseGoTime, type GoTime } from './go-json.js';

export interface KeyFile {
  created: GoTime;
  username: string;
  hostname: string;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: Uint8Array;
  /** The encrypted master key. */
  data: Uint8Array;
}

/** restic's minimum scrypt cost; with r = 8 it needs 32 MiB. */
export const DEFAULT_SCRYPT = { N: 32768, r: 8, p: 1 } as const;

export function encodeKeyFile(k: KeyFile): Buffer {
  return Buffer.from(
    goJsonEncode({
      created: formatGoTime(k.created),
      username: k.username,
      hostname: k.hostname,
      kdf: k.kdf,
      N: k.N,
      r: k.r,
      p: k.p,
      salt: Buffer.from(k.salt).toString('base64'),
      data: Buffer.from(k.data).toString('base64'),
    }),
  );
}

export function decodeKeyFile(json: Uint8Array): KeyFile {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SyntaxError(`Key file is not JSON: ${(err as Error).message}`);
  }
  if (v.kdf !== 'scrypt') throw new RangeError(`Unsupported key derivation '${String(v.kdf)}'`);
  for (const f of ['N', 'r', 'p'] as const) {
    if (!Number.isSafeInteger(v[f]) || (v[f] as number) <= 0) throw new RangeError(`Invalid scrypt parameter ${f}=${String(v[f])}`);
  }
  if (typeof v.salt !== 'string' || typeof v.data !== 'string') throw new TypeError('Key file lacks salt or data');
  return {
    created: typeof v.created === 'string' ? parseGoTime(v.created) : { sec: 0, nsec: 0, offsetMinutes: 0 },
    username: typeof v.username === 'string' ? v.username : '',
    hostname: typeof v.hostname === 'string' ? v.hostname : '',
    kdf: 'scrypt',
    N: v.N as number,
    r: v.r as number,
    p: v.p as number,
    salt: Buffer.from(v.salt, 'base64'),
    data: Buffer.from(v.data, 'base64'),
  };
}

/** scrypt's 64 bytes of key material (node:crypto, with room for N·r·128 bytes of memory). */
export function deriveUserKey(password: string | Uint8Array, salt: Uint8Array, params: { N: number; r: number; p: number }): Promise<MasterKey> {
  const maxmem = 256 * params.N * params.r + 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, 64, { N: params.N, r: params.r, p: params.p, maxmem }, (err, material) => {
      if (err) reject(err);
      else resolve(masterKeyFromBytes(material));
    });
  });
}

export function encodeMasterKey(key: MasterKey): Buffer {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return Buffer.from(goJsonEncode({ mac: { k: b64(key.mac.k), r: b64(key.mac.r) }, encrypt: b64(key.encrypt) }));
}

export function decodeMasterKey(json: Uint8Array): MasterKey {
  const v = JSON.parse(Buffer.from(json).toString('utf8')) as { mac?: { k?: unknown; r?: unknown }; encrypt?: unknown };
  const k = v.mac?.k;
  const r = v.mac?.r;
  const e = v.encrypt;
  if (typeof k !== 'string' || typeof r !== 'string' || typeof e !== 'string') throw new TypeError('Master key JSON lacks mac.k, mac.r or encrypt');
  const key = { encrypt: Buffer.from(e, 'base64'), mac: { k: Buffer.from(k, 'base64'), r: Buffer.from(r, 'base64') } };
  if (key.encrypt.length !== 32 || key.mac.k.length !== 16 || key.mac.r.length !== 16) throw new RangeError('Master key has keys of the wrong length');
  return key;
}

/** Wraps `master` in a new key file for `password`. */
export async function createKeyFile(
  password: string | Uint8Array,
  master: MasterKey,
  who: { username: string; hostname: string },
  params: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
): Promise<KeyFile> {
  const salt = randomBytes(64);
  const user = await deriveUserKey(password, salt, params);
  return { created: goTimeNow(), ...who, kdf: 'scrypt', ...params, salt, data: seal(user, encodeMasterKey(master)) };
}

/** The master key inside `key`, or AuthenticationError when the password does not open it. */
export async function openKeyFile(password: string | Uint8Array, key: KeyFile): Promise<MasterKey> {
  const user = await deriveUserKey(password, key.salt, key);
  let plain: Buffer;
  try {
    plain = open(user, key.data);
  } catch (err) {
    if (err instanceof AuthenticationError) throw new AuthenticationError('Wrong password for this key');
    throw err;
  }
  return decodeMasterKey(plain);
}
