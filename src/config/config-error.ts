import type { SourceLocation } from './model.js';

/** A configuration the daemon refuses to run with; names the file, line and key. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly source?: SourceLocation,
    readonly key?: string,
  ) {
    super(source ? `${source.file}:${source.line}: ${key ? `${key}: ` : ''}${message}` : message);
    this.name = 'ConfigError';
  }
}
