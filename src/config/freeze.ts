/**
 * Validated configuration is immutable: the daemon and its modules share one object and a
 * stray assignment must fail loudly (strict mode) instead of changing behaviour at a distance.
 */
import type { HotstandbyConfig, LoadedConfig } from './model.js';

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** Freezes the config and everything in it, in place; returns it typed as read-only. */
export function freezeConfig(config: HotstandbyConfig): Readonly<HotstandbyConfig> {
  return deepFreeze(config);
}

/** Freezes a loaded config together with its warnings. */
export function freezeLoadedConfig(loaded: LoadedConfig): Readonly<LoadedConfig> {
  return deepFreeze(loaded);
}
