/**
 * A resource kind's own keys of one `resources.<name>` entry, as the kind reads them
 * (ResourceSettings, src/resources/resource.ts): each read checks the value and throws a
 * ConfigError naming file, line and key path. The kind never sees the YAML library.
 */
import { ConfigError } from '../config-error.js';
import type { ResourceSettings } from '../../resources/resource.js';
import { readCommand } from './convert-checks.js';
import { readBoolean, readDuration, readInteger, readList, readMap, readString, isStringNode, type Field, type YamlReader } from './nodes.js';

export class YamlResourceSettings implements ResourceSettings {
  constructor(
    private readonly reader: YamlReader,
    private readonly entry: Field,
    private readonly fields: ReadonlyMap<string, Field>,
  ) {}

  /** The kind's keys of `entry` (a mapping), the others being the shared ones in `skip`. */
  static of(reader: YamlReader, entry: Field, kindKeys: readonly string[], skip: readonly string[]): YamlResourceSettings {
    const all = readMap(reader, entry, [...skip, ...kindKeys]);
    const own = new Map([...all].filter(([key]) => kindKeys.includes(key) && !skip.includes(key)));
    return new YamlResourceSettings(reader, entry, own);
  }

  get path(): string {
    return this.entry.path;
  }

  has(key: string): boolean {
    return this.fields.has(key) && this.fields.get(key)!.node !== null;
  }

  string(key: string): string | undefined {
    const field = this.present(key);
    return field && readString(field).value;
  }

  requireString(key: string): string {
    const value = this.string(key);
    if (value === undefined) throw this.error(key, `Missing "${key}"`);
    return value;
  }

  integer(key: string, range: { min: number; max: number }): number | undefined {
    const field = this.present(key);
    if (!field) return undefined;
    const value = readInteger(field).value;
    if (value < range.min || value > range.max) throw this.error(key, `${value} is out of range: expected an integer ${range.min}..${range.max}`);
    return value;
  }

  duration(key: string): number | undefined {
    const field = this.present(key);
    return field && readDuration(field).value;
  }

  boolean(key: string): boolean | undefined {
    const field = this.present(key);
    return field && readBoolean(field).value;
  }

  stringList(key: string): string[] | undefined {
    const field = this.present(key);
    if (!field) return undefined;
    if (isStringNode(field)) return [readString(field).value];
    return readList(this.reader, field).map((item) => readString(item).value);
  }

  command(key: string): string[] | undefined {
    const field = this.present(key);
    return field && readCommand(this.reader, field);
  }

  section(key: string, known: readonly string[]): ResourceSettings | undefined {
    const field = this.present(key);
    if (!field) return undefined;
    return new YamlResourceSettings(this.reader, field, readMap(this.reader, field, known));
  }

  error(key: string, message: string): Error {
    const field = this.fields.get(key);
    return new ConfigError(message, field?.source ?? this.entry.source, field?.path ?? `${this.entry.path}.${key}`);
  }

  private present(key: string): Field | undefined {
    const field = this.fields.get(key);
    return field && field.node !== null ? field : undefined;
  }
}
