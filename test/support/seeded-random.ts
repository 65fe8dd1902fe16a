/** Reproducible randomness for property and fuzz tests: one 32-bit seed, printed on failure. */
import { randomInt } from 'node:crypto';

/** xorshift32: small, fast, and reproducible from one 32-bit seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/** The seed in environment variable `name` (to replay a failure), else a random one. */
export function seedFromEnv(name: string): number {
  const text = process.env[name];
  if (text === undefined || text === '') return randomInt(0, 2 ** 32 - 1);
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`${name} must be an integer 0..4294967295, got "${text}"`);
  }
  return seed;
}
