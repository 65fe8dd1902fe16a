/**
 * Health checks: defaults (keepalived's vrrp_script ones, for every kind), ranges, and the
 * per-kind rules that turn a check that cannot work into a configuration error naming its key.
 * Whether programs, users, files and interfaces exist is the daemon's to find out at start.
 */
import { parseIpAddress } from './address.js';
import type {
  CheckCommon,
  CheckConfig,
  ExecCheckConfig,
  FileCheckConfig,
  HttpCheckConfig,
  InterfaceCheckConfig,
  ProcessCheckConfig,
  TcpCheckConfig,
} from './check-model.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_FILE_CHECK_WEIGHT, DEFAULT_HTTP_EXPECT_STATUS, PROCESS_NAME_MAX_BYTES } from './defaults.js';
import {
  keyOf,
  type CheckDraft,
  type CheckDraftCommon,
  type ExecCheckDraft,
  type FileCheckDraft,
  type HttpCheckDraft,
  type InterfaceCheckDraft,
  type Located,
  type ProcessCheckDraft,
  type TcpCheckDraft,
} from './draft.js';
import { CHECK_COMMON_FIELDS, HTTP_CHECK_FIELDS, PROCESS_CHECK_FIELDS, TCP_CHECK_FIELDS } from './fields/check.js';
import type { GlobalConfig } from './model.js';
import { fieldValue, optionalFieldValue } from './resolve-field.js';
import { checkAbsolutePath, checkAccountName, checkInterfaceName, WarningList } from './validate-values.js';

function missing(draft: CheckDraftCommon, nativeKey: string, what: string): ConfigError {
  return new ConfigError(`Check "${draft.name}" has no ${what}`, draft.source, draft.keyFor?.(nativeKey) ?? nativeKey);
}

function resolveCommon(draft: CheckDraftCommon, defaultWeight: number): CheckCommon {
  const intervalMs = fieldValue(CHECK_COMMON_FIELDS, 'intervalMs', draft);
  return {
    name: draft.name,
    intervalMs,
    // keepalived: no timeout means the interval.
    timeoutMs: optionalFieldValue(CHECK_COMMON_FIELDS, 'timeoutMs', draft) ?? intervalMs,
    weight: optionalFieldValue(CHECK_COMMON_FIELDS, 'weight', draft) ?? defaultWeight,
    rise: fieldValue(CHECK_COMMON_FIELDS, 'rise', draft),
    fall: fieldValue(CHECK_COMMON_FIELDS, 'fall', draft),
    initFail: fieldValue(CHECK_COMMON_FIELDS, 'initFail', draft),
    source: draft.source,
  };
}

function resolveExec(draft: ExecCheckDraft, global: GlobalConfig): ExecCheckConfig {
  const command = draft.command;
  if (!command || command.value.length === 0 || command.value[0] === '') {
    if (command) throw new ConfigError(`Check "${draft.name}" has an empty command`, command.source, keyOf(command, 'command'));
    throw missing(draft, 'command', 'command');
  }
  const check: ExecCheckConfig = { kind: 'exec', ...resolveCommon(draft, 0), command: [...command.value] };
  // keepalived: a script without its own user runs as the global script_user (and its group).
  const user = draft.user ? checkAccountName(draft.user, 'user', 'user') : global.scriptUser;
  const group = draft.group ? checkAccountName(draft.group, 'group', 'group') : draft.user ? undefined : global.scriptGroup;
  if (user !== undefined) check.user = user;
  if (group !== undefined) check.group = group;
  return check;
}

/** HTTP statuses that exist: RFC 9110 §15 defines 100..599. */
function checkStatusRanges(field: Located<Array<[number, number]>>): Array<[number, number]> {
  const key = keyOf(field, 'expectStatus');
  if (field.value.length === 0) throw new ConfigError('Expected at least one HTTP status', field.source, key);
  for (const [low, high] of field.value) {
    for (const status of [low, high]) {
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        throw new ConfigError(`HTTP status ${status} is out of range: expected 100..599`, field.source, key);
      }
    }
    if (low > high) throw new ConfigError(`HTTP status range ${low}-${high} runs backwards`, field.source, key);
  }
  return field.value.map(([low, high]) => [low, high]);
}

/** A header value must not carry line breaks (header injection) or blanks. */
function checkHostHeader(field: Located<string>): string {
  // eslint-disable-next-line no-control-regex
  if (field.value === '' || /[\s\u0000-\u001f\u007f]/.test(field.value)) {
    throw new ConfigError(`"${field.value}" is not a host name for the Host header`, field.source, keyOf(field, 'hostHeader'));
  }
  return field.value;
}

function resolveHttp(draft: HttpCheckDraft, warnings: WarningList): HttpCheckConfig {
  if (!draft.url) throw missing(draft, 'url', 'URL');
  const urlKey = keyOf(draft.url, 'url');
  let url: URL;
  try {
    url = new URL(draft.url.value);
  } catch {
    throw new ConfigError(`"${draft.url.value}" is not a URL`, draft.url.source, urlKey);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`URL "${draft.url.value}" is not http:// or https://`, draft.url.source, urlKey);
  }
  if (url.hostname === '') throw new ConfigError(`URL "${draft.url.value}" names no host`, draft.url.source, urlKey);
  if (url.port === '0') throw new ConfigError(`URL "${draft.url.value}" has port 0: expected 1..65535`, draft.url.source, urlKey);
  const expectStatus = draft.expectStatus ? checkStatusRanges(draft.expectStatus) : DEFAULT_HTTP_EXPECT_STATUS.map(([low, high]): [number, number] => [low, high]);
  const check: HttpCheckConfig = {
    kind: 'http',
    ...resolveCommon(draft, 0),
    url: draft.url.value,
    expectStatus,
    tlsVerify: fieldValue(HTTP_CHECK_FIELDS, 'tlsVerify', draft),
  };
  if (draft.tlsVerify && url.protocol === 'http:') {
    warnings.add(`tlsVerify has no effect on check "${draft.name}": its URL is http://, not https://`, draft.tlsVerify.source);
  }
  if (draft.bodyRegex) {
    try {
      new RegExp(draft.bodyRegex.value);
    } catch (err) {
      throw new ConfigError(`Body regex does not compile: ${(err as Error).message}`, draft.bodyRegex.source, keyOf(draft.bodyRegex, 'bodyRegex'));
    }
    check.bodyRegex = draft.bodyRegex.value;
  }
  if (draft.hostHeader) check.hostHeader = checkHostHeader(draft.hostHeader);
  return check;
}

/** RFC 1123 host names (letters, digits, hyphens; dot-separated labels of at most 63). */
const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

function resolveTcp(draft: TcpCheckDraft): TcpCheckConfig {
  if (!draft.host) throw missing(draft, 'host', 'host');
  if (!draft.port) throw missing(draft, 'port', 'port');
  const parsed = parseIpAddress(draft.host.value);
  if (!parsed && !HOST_NAME.test(draft.host.value)) {
    throw new ConfigError(`"${draft.host.value}" is not an IP address or host name`, draft.host.source, keyOf(draft.host, 'host'));
  }
  return {
    kind: 'tcp',
    ...resolveCommon(draft, 0),
    host: parsed?.address ?? draft.host.value,
    port: fieldValue(TCP_CHECK_FIELDS, 'port', draft),
  };
}

function resolveProcessMatch(draft: ProcessCheckDraft, warnings: WarningList): ProcessCheckConfig['match'] {
  const given = [draft.processName, draft.commandLine, draft.pidFile].filter((f) => f !== undefined);
  if (given.length === 0) throw missing(draft, 'process', 'process name, command line or PID file');
  if (given.length > 1) {
    const second = given[1] as Located<string>;
    throw new ConfigError(`Check "${draft.name}" may look for a process name, a command line or a PID file, not several`, second.source, keyOf(second, 'process'));
  }
  if (draft.processName) {
    const name = draft.processName;
    const key = keyOf(name, 'process');
    if (name.value === '') throw new ConfigError('Empty process name', name.source, key);
    if (name.value.startsWith('/')) {
      throw new ConfigError(
        `"${name.value}" is a path, and a process name is the program's file name (the kernel's /proc/PID/comm, such as "nginx"); to match the path, match the command line`,
        name.source,
        key,
      );
    }
    if (Buffer.byteLength(name.value) > PROCESS_NAME_MAX_BYTES) {
      const kept = Buffer.from(name.value).subarray(0, PROCESS_NAME_MAX_BYTES).toString();
      warnings.add(`Process name "${name.value}" is longer than the kernel keeps: only "${kept}" (${PROCESS_NAME_MAX_BYTES} bytes) is compared`, name.source);
    }
    return { name: name.value };
  }
  if (draft.commandLine) {
    if (draft.commandLine.value.trim() === '') throw new ConfigError('Empty command line', draft.commandLine.source, keyOf(draft.commandLine, 'commandLine'));
    return { commandLine: draft.commandLine.value };
  }
  return { pidFile: checkAbsolutePath(draft.pidFile as Located<string>, 'pidFile', 'PID file') };
}

function resolveProcess(draft: ProcessCheckDraft, warnings: WarningList): ProcessCheckConfig {
  const match = resolveProcessMatch(draft, warnings);
  const quorum = fieldValue(PROCESS_CHECK_FIELDS, 'quorum', draft);
  if ('pidFile' in match && quorum > 1) {
    throw new ConfigError(`Quorum ${quorum} cannot be met: a PID file names one process`, (draft.quorum as Located<number>).source, keyOf(draft.quorum, 'quorum'));
  }
  return { kind: 'process', ...resolveCommon(draft, 0), match, quorum };
}

function resolveFile(draft: FileCheckDraft): FileCheckConfig {
  if (!draft.path) throw missing(draft, 'path', 'file');
  return { kind: 'file', ...resolveCommon(draft, DEFAULT_FILE_CHECK_WEIGHT), path: checkAbsolutePath(draft.path, 'path', 'File') };
}

function resolveInterface(draft: InterfaceCheckDraft): InterfaceCheckConfig {
  if (!draft.interface) throw missing(draft, 'interface', 'interface');
  checkInterfaceName(draft.interface.value, draft.interface.source, keyOf(draft.interface, 'interface'));
  return { kind: 'interface', ...resolveCommon(draft, 0), interface: draft.interface.value };
}

/** Resolves one check of any kind. */
export function resolveCheck(draft: CheckDraft, global: GlobalConfig, warnings: WarningList): CheckConfig {
  switch (draft.kind) {
    case 'exec':
      return resolveExec(draft, global);
    case 'http':
      return resolveHttp(draft, warnings);
    case 'tcp':
      return resolveTcp(draft);
    case 'process':
      return resolveProcess(draft, warnings);
    case 'file':
      return resolveFile(draft);
    case 'interface':
      return resolveInterface(draft);
  }
}
