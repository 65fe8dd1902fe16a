/**
 * Running the compiled CLI as a user would (`node bin/hotstandby ...`) against a fake daemon
 * listening on a control socket in a temporary runtime directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createControlApi, type ControlApi } from '../../src/api/control-api.js';
import { closeServer, controlSocketPath, listenControlSocket } from '../../src/api/control-socket.js';
import { populatedControl, type FakeDaemonControl } from '../api/fake-control.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hotstandby ...args` to completion (asynchronously: the fake daemon lives in this process). */
export function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/hotstandby', ...args], { cwd: repoRoot, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `hotstandby ...args` and collects its output while it runs. */
export function startCli(...args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number> } {
  const child = spawn(process.execPath, ['bin/hotstandby', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  return { child, stdout: () => out, stderr: () => err, exited };
}

export interface FakeDaemon {
  control: FakeDaemonControl;
  api: ControlApi;
  runtimeDir: string;
  stop(): Promise<void>;
}

export async function startFakeDaemon(): Promise<FakeDaemon> {
  const runtimeDir = mkdtempSync(join(tmpdir(), 'hs-cli-test-'));
  const control = populatedControl();
  const api = createControlApi(control, { metrics: { defaultMetrics: false } });
  const server: Server = await listenControlSocket(api, controlSocketPath(runtimeDir));
  return {
    control,
    api,
    runtimeDir,
    stop: async () => {
      api.close();
      await closeServer(server);
      rmSync(runtimeDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
