/** Why a test that builds a scratch network namespace cannot run here (undefined: it can). */
import { loadNative } from '../../src/net/native.js';

export function namespaceSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: creates a network namespace';
  try {
    loadNative();
  } catch (err) {
    return `needs the native addon: ${(err as Error).message}`;
  }
  return undefined;
}
