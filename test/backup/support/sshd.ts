/**
 * Debian's OpenSSH server on loopback for the SFTP tests: its own host key, config, client key
 * and authorized_keys in a temporary directory, `sshd -D -e -f <cfg> -p <port>` as a child, and
 * the ssh command line that reaches it (for our backend and restic's `-o sftp.command=`).
 * Root only (sshd's privilege separation); skipReason() says why when it cannot run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../src/lab/wait-for.js';

export const SSHD = '/usr/sbin/sshd';

export function sshdSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'sshd needs root (privilege separation)';
  if (!existsSync(SSHD)) return 'openssh-server is not installed (apt-get install openssh-server)';
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'openssh-client is not installed (apt-get install openssh-client)';
  }
  return undefined;
}

/** SIGTERM to a child we started, resolved once it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

export interface SshServer {
  dir: string;
  port: number;
  /** argv of an ssh client that runs the sftp subsystem on this server as root. */
  sftpCommand: string[];
  stop(): Promise<void>;
}

export async function startSshd(): Promise<SshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-sshd-'));
  const keygen = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(dir, name)]);
  keygen('host_key');
  keygen('client_key');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation directory
  const port = await freePort();
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8')}`);
  const config = [
    `ListenAddress 127.0.0.1`,
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'LogLevel ERROR',
  ];
  writeFileSync(join(dir, 'sshd_config'), config.join('\n') + '\n');
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  await waitFor(async () => child.exitCode === null && (await canConnect(port)), { description: `sshd on 127.0.0.1:${port} (${stderr})`, timeoutMs: 30_000 });
  const sftpCommand = [
    'ssh', '-F', 'none', '-i', join(dir, 'client_key'), '-p', String(port),
    '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-l', 'root', '127.0.0.1', '-s', 'sftp',
  ];
  return {
    dir,
    port,
    sftpCommand,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
