/**
 * Shared helpers for the configuration tests: in-memory include trees, parsing shortcuts, and
 * assertions on ConfigError locations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/config/config-error.js';
import { parseKeepalivedConf, type ConfFileAccess } from '../../src/config/keepalived/index.js';
import type { LoadedConfig } from '../../src/config/model.js';
import { parseYamlConfig } from '../../src/config/yaml/index.js';

/** test/data/config in the source tree (tests run from dist/test/config). */
export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/data/config');

/** A file tree in memory: absolute path -> content. Directories are implied by the paths. */
export function memoryFiles(files: Record<string, string>): ConfFileAccess {
  return {
    readFile: async (path) => {
      const content = files[path];
      if (content === undefined) {
        const isDirectory = Object.keys(files).some((f) => f.startsWith(`${path}/`));
        throw Object.assign(new Error(`${path}: not found`), { code: isDirectory ? 'EISDIR' : 'ENOENT' });
      }
      return content;
    },
    listDirectory: async (directory) => {
      const prefix = directory.endsWith('/') ? directory : `${directory}/`;
      const names = new Map<string, boolean>();
      for (const path of Object.keys(files)) {
        if (!path.startsWith(prefix)) continue;
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        names.set(slash < 0 ? rest : rest.slice(0, slash), slash >= 0 || (names.get(rest) ?? false));
      }
      if (names.size === 0) throw Object.assign(new Error(`${directory}: not a directory`), { code: 'ENOENT' });
      return [...names].map(([name, isDirectory]) => ({ name, isDirectory }));
    },
  };
}

export const CONF_FILE = '/etc/keepalived/keepalived.conf';

/** Parses keepalived.conf text named CONF_FILE; includes come from `files`. */
export function conf(text: string, files: Record<string, string> = {}): Promise<LoadedConfig> {
  return parseKeepalivedConf(text, CONF_FILE, memoryFiles(files));
}

export const YAML_FILE = '/etc/hotstandby/hotstandby.yaml';

export function yaml(text: string): LoadedConfig {
  return parseYamlConfig(text, YAML_FILE);
}

/** A minimal valid vrrp_instance around `body` (which may override any of its lines). */
export function instanceConf(body: string, name = 'VI_1'): string {
  return `vrrp_instance ${name} {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.10\n    }\n${body}\n}\n`;
}

/** The same minimal instance in YAML, with extra lines (indented by 4). */
export function instanceYaml(body: string, name = 'web'): string {
  return `instances:\n  ${name}:\n    interface: eth0\n    vrid: 51\n    vips: [192.0.2.10]\n${body}\n`;
}

/** The model without source locations, for comparisons across files. */
export function withoutSources<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === 'source' ? undefined : v))) as T;
}

export interface ExpectedError {
  file?: string;
  line: number;
  key?: string;
  message: RegExp;
}

/** Asserts that `run` fails with a ConfigError at the expected place. */
export async function assertConfigError(run: () => unknown, expected: ExpectedError): Promise<ConfigError> {
  let caught: unknown;
  try {
    await run();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.match(caught.message, expected.message);
  assert.equal(caught.source?.line, expected.line, `line of: ${caught.message}`);
  if (expected.file !== undefined) assert.equal(caught.source?.file, expected.file, `file of: ${caught.message}`);
  if (expected.key !== undefined) assert.equal(caught.key, expected.key, `key of: ${caught.message}`);
  // The message itself names file and line, so a log line is enough to find the problem.
  assert.ok(caught.message.startsWith(`${caught.source?.file}:${caught.source?.line}: `), caught.message);
  return caught;
}

/** One case of an error table: the text, and the line (and key) its ConfigError must name. */
export interface ErrorCase {
  title: string;
  text: string;
  line: number;
  key?: string;
  message: RegExp;
}

/** Builds cases whose text is `wrap(body)`: a minimal instance around `body` (instanceConf, instanceYaml). */
export function instanceCases(wrap: (body: string) => string) {
  return (title: string, body: string, line: number, key: string | undefined, message: RegExp): ErrorCase => ({
    title,
    text: wrap(body),
    line,
    ...(key === undefined ? {} : { key }),
    message,
  });
}

/** One test per case, named `${label}: ${title}`: parsing its text fails with a ConfigError in `file`. */
export function testErrorCases(label: string, cases: readonly ErrorCase[], parse: (text: string) => unknown, file: string): void {
  for (const c of cases) {
    test(`${label}: ${c.title}`, async () => {
      await assertConfigError(() => parse(c.text), {
        file,
        line: c.line,
        ...(c.key === undefined ? {} : { key: c.key }),
        message: c.message,
      });
    });
  }
}

export function joinData(...parts: string[]): string {
  return join(DATA_DIR, ...parts);
}
