/** Shared pieces of the notify tests: scripts in a temp directory, a recording logger, a dispatcher. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventLog } from '../../src/daemon/event-log.js';
import type { Logger, LogLevel } from '../../src/ports/index.js';
import { NotifyDispatcher, type NotifyDispatcherDeps } from '../../src/notify/dispatcher.js';

export interface LogLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown> | undefined;
}

export function recordingLogger(lines: LogLine[]): Logger {
  const logger: Logger = {
    log: (level, message, fields) => lines.push({ level, message, fields }),
    child: () => logger,
  };
  return logger;
}

export class ScriptDir {
  private constructor(readonly dir: string) {}

  static async create(): Promise<ScriptDir> {
    const dir = await mkdtemp(path.join(tmpdir(), 'hs-notify-'));
    await chmod(dir, 0o755);
    return new ScriptDir(dir);
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /** Writes an executable /bin/sh script and returns its path. */
  async script(name: string, body: string): Promise<string> {
    const file = this.path(name);
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  }

  async lines(name: string): Promise<string[]> {
    const text = await readFile(this.path(name), 'utf8').catch(() => '');
    return text.split('\n').filter((l) => l !== '');
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface Harness {
  dispatcher: NotifyDispatcher;
  events: EventLog;
  logs: LogLine[];
}

/** A dispatcher running hooks as ourselves unless `overrides` says otherwise. */
export function harness(overrides: Partial<NotifyDispatcherDeps> = {}): Harness {
  const logs: LogLine[] = [];
  const events = new EventLog({ wallClock: () => new Date() });
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const dispatcher = new NotifyDispatcher({
    log: recordingLogger(logs),
    events,
    clock: { now: () => performance.now() },
    resolveUser: async () => self,
    ...overrides,
  });
  return { dispatcher, events, logs };
}

/** False once the process is gone or a zombie (an orphan waiting for init to reap it). */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

export async function waitFor(what: string, condition: () => Promise<boolean>, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
