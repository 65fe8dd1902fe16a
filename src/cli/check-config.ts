/** `hotstandby check-config FILE`: validates a configuration file without a daemon. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile, type ConfigKind } from '../config/load.js';
import type { ConfigWarning, LoadedConfig } from '../config/model.js';
import { parseCommand, type OptionsConfig } from './parse-command.js';
import { preflightBackups } from '../backup/jobs/preflight.js';
import { credentialProblem, type DirectoryKindSettings } from '../replicate/directory-kind.js';

/** Exit codes shared by check-config and convert. */
export const CONFIG_EXIT = Object.freeze({ valid: 0, invalid: 1, unreadable: 2 });

const HELP = `usage: hotstandby check-config FILE [--yaml | --keepalived] [--json]

Loads and validates FILE exactly as \`hotstandby run\` would, without starting anything: prints the
warnings, and the first error with its file, line and key.

  --yaml         FILE is the native YAML format (docs/config.md)
  --keepalived   FILE is a keepalived.conf
                 (default: .yaml/.yml is YAML, .conf is keepalived, otherwise the content decides)
  --json         {"valid", "kind", "error"?, "warnings": [{file, line, message}], "instances"?, "checks"?}

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 unreadable file or bad usage.`;

export async function runCheckConfigCommand(argv: string[]): Promise<number> {
  const loaded = await loadCommandFile(argv, {
    name: 'check-config',
    help: HELP,
    options: { json: { type: 'boolean', default: false } },
  });
  if (typeof loaded === 'number') return loaded;
  const { file, values, outcome } = loaded;
  // The backup jobs against this host: repositories reachable with their passwords (preflight.ts).
  const backupProblems = outcome.kind === 'valid' && outcome.loaded.config.backups ? await preflightBackups(outcome.loaded.config.backups) : [];
  // Replicated directories' key or certificate files, checked as at start (cert-files.ts).
  const fileProblems = (outcome.kind === 'valid' ? (outcome.loaded.config.resources ?? []) : []).flatMap((r) => {
    const problem = r.kind === 'directory' ? credentialProblem(r.settings as DirectoryKindSettings, r.name) : undefined;
    return problem === undefined ? [] : [{ key: problem.slice(0, problem.indexOf(': ')), message: problem.slice(problem.indexOf(': ') + 2) }];
  });
  const hostProblems = [...backupProblems, ...fileProblems];
  if (hostProblems.length > 0 && outcome.kind === 'valid') {
    if (values.json) {
      console.log(JSON.stringify({ valid: false, kind: outcome.configKind, error: { message: hostProblems.map((p) => `${p.key}: ${p.message}`).join('; ') }, backups: backupProblems, warnings: outcome.loaded.warnings.map(warningJson) }));
    } else {
      for (const p of hostProblems) console.error(`error: ${p.key}: ${p.message}`);
      console.error(`${file}: invalid on this host`);
    }
    return CONFIG_EXIT.invalid;
  }
  if (values.json) {
    const report =
      outcome.kind === 'invalid'
        ? { valid: false, kind: outcome.configKind, error: errorJson(outcome.error), warnings: [] }
        : {
            valid: true,
            kind: outcome.configKind,
            warnings: outcome.loaded.warnings.map(warningJson),
            instances: outcome.loaded.config.instances.map((i) => i.name),
            checks: configuredCheckNames(outcome.loaded),
          };
    console.log(JSON.stringify(report));
    return outcome.kind === 'invalid' ? CONFIG_EXIT.invalid : CONFIG_EXIT.valid;
  }
  if (outcome.kind === 'invalid') {
    console.error(`error: ${outcome.error.message}`);
    console.error(`${file}: invalid (${outcome.configKind === 'yaml' ? 'YAML' : 'keepalived.conf'})`);
    return CONFIG_EXIT.invalid;
  }
  printWarnings(outcome.loaded.warnings);
  const { config } = outcome.loaded;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  console.log(
    `${file}: valid (${outcome.configKind === 'yaml' ? 'YAML' : 'keepalived.conf'}): ${count(config.instances.length, 'instance')}, ` +
      `${count(configuredCheckNames(outcome.loaded).length, 'check')}, ${count(config.syncGroups.length, 'sync group')}, ` +
      `${count(outcome.loaded.warnings.length, 'warning')}`,
  );
  return CONFIG_EXIT.valid;
}

const KIND_OPTIONS = {
  yaml: { type: 'boolean', default: false },
  keepalived: { type: 'boolean', default: false },
} as const;

/**
 * The start of check-config and convert, `NAME FILE [--yaml | --keepalived]`: parses the options
 * and loads FILE. Returns the exit code after --help, a usage error or an unreadable FILE.
 */
export async function loadCommandFile<const O extends OptionsConfig>(argv: string[], spec: { name: string; help: string; options: O }) {
  const parsed = parseCommand(argv, {
    ...spec,
    options: { ...KIND_OPTIONS, ...spec.options },
    allowPositionals: true,
    usageExit: CONFIG_EXIT.unreadable,
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals, usage } = parsed;
  // Always present (KIND_OPTIONS has defaults); TypeScript cannot see it through the generic O.
  const { yaml, keepalived } = values as { yaml: boolean; keepalived: boolean };
  if (positionals.length !== 1) return usage('give exactly one FILE');
  if (yaml && keepalived) return usage('--yaml and --keepalived exclude each other');
  const file = positionals[0] as string;
  const outcome = await loadForCommand(file, yaml ? 'yaml' : keepalived ? 'keepalived' : undefined);
  if (outcome.kind === 'unreadable') {
    console.error(`hotstandby ${spec.name}: cannot read ${file}: ${outcome.message}`);
    return CONFIG_EXIT.unreadable;
  }
  return { file, values, outcome };
}

export type LoadOutcome =
  | { kind: 'valid'; configKind: ConfigKind; loaded: Readonly<LoadedConfig> }
  | { kind: 'invalid'; configKind: ConfigKind; error: ConfigError }
  | { kind: 'unreadable'; message: string };

/** Reads FILE (detecting its kind unless forced) and validates it; never throws for file or config problems. */
async function loadForCommand(file: string, forced: ConfigKind | undefined): Promise<LoadOutcome> {
  let configKind: ConfigKind;
  try {
    configKind = forced ?? detectConfigKind(file, await readFile(file, 'utf8'));
  } catch (err) {
    return { kind: 'unreadable', message: (err as Error).message };
  }
  try {
    return { kind: 'valid', configKind, loaded: await loadConfigFile(file, configKind) };
  } catch (err) {
    if (err instanceof ConfigError) return { kind: 'invalid', configKind, error: err };
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return { kind: 'unreadable', message: (err as Error).message };
    throw err;
  }
}

const YAML_TOP_KEY = /^(global|instances|checks|syncGroups)[ \t]*:/m;
const KEEPALIVED_KEYWORD = /^[ \t]*(global_defs|vrrp_instance|vrrp_script|vrrp_sync_group|virtual_server|include[a-z]?)\b/m;

/** .yaml/.yml: YAML; .conf: keepalived; otherwise the first recognisable top-level line decides (YAML when none). */
export function detectConfigKind(file: string, text: string): ConfigKind {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.conf') return 'keepalived';
  const yaml = YAML_TOP_KEY.exec(text);
  const keepalived = KEEPALIVED_KEYWORD.exec(text);
  if (yaml && keepalived) return yaml.index < keepalived.index ? 'yaml' : 'keepalived';
  return keepalived ? 'keepalived' : 'yaml';
}

export function printWarnings(warnings: readonly ConfigWarning[]): void {
  for (const w of warnings) console.error(`warning: ${w.source.file}:${w.source.line}: ${w.message}`);
}

function configuredCheckNames(loaded: Readonly<LoadedConfig>): string[] {
  return loaded.config.checks.map((c) => c.name);
}

function warningJson(w: ConfigWarning): { file: string; line: number; message: string } {
  return { file: w.source.file, line: w.source.line, message: w.message };
}

function errorJson(err: ConfigError): { message: string; file?: string; line?: number; key?: string } {
  return {
    message: err.message,
    ...(err.source ? { file: err.source.file, line: err.source.line } : {}),
    ...(err.key !== undefined ? { key: err.key } : {}),
  };
}
