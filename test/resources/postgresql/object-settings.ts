/**
 * A ResourceSettings over a plain object, for tests of a kind's parse() (the daemon's YAML reader
 * provides the real one with file and line in its errors).
 */
import type { ResourceSettings } from '../../../src/resources/resource.js';

export function objectSettings(path: string, values: Record<string, unknown>): ResourceSettings {
  const error = (key: string, message: string): Error => new Error(`${path}.${key}: ${message}`);
  const get = (key: string): unknown => values[key];
  const self: ResourceSettings = {
    path,
    has: (key) => key in values,
    string(key) {
      const v = get(key);
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw error(key, `must be a string, not ${JSON.stringify(v)}`);
      return v;
    },
    requireString(key) {
      const v = self.string(key);
      if (v === undefined) throw error(key, 'is required');
      return v;
    },
    integer(key, range) {
      const v = get(key);
      if (v === undefined) return undefined;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < range.min || v > range.max) {
        throw error(key, `must be an integer ${range.min}..${range.max}, not ${JSON.stringify(v)}`);
      }
      return v;
    },
    duration(key) {
      const v = get(key);
      if (v === undefined) return undefined;
      if (typeof v === 'number') return v * 1000;
      const m = typeof v === 'string' ? /^(\d+(?:\.\d+)?)(ms|s)$/.exec(v) : null;
      if (!m) throw error(key, `must be a duration, not ${JSON.stringify(v)}`);
      return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
    },
    boolean(key) {
      const v = get(key);
      if (v === undefined || typeof v === 'boolean') return v;
      throw error(key, 'must be true or false');
    },
    stringList(key) {
      const v = get(key);
      if (v === undefined) return undefined;
      return Array.isArray(v) ? v.map(String) : [String(v)];
    },
    command: (key) => self.stringList(key),
    section(key, known) {
      const v = get(key);
      if (v === undefined) return undefined;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw error(key, 'must be a mapping');
      for (const k of Object.keys(v)) if (!known.includes(k)) throw error(`${key}.${k}`, 'is not a known key');
      return objectSettings(`${path}.${key}`, v as Record<string, unknown>);
    },
    error,
  };
  return self;
}
