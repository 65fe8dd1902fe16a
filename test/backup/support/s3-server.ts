/**
 * An S3-compatible server on loopback for the S3 tests: s3rver (npm, pinned as a devDependency),
 * in a child process (s3rver-main.ts), storing into a temporary directory, over HTTPS with a self-signed certificate made by openssl.
 * HTTPS because restic's minio-go client signs plain-HTTP uploads with aws-chunked streaming
 * signatures, which s3rver stores undecoded; over TLS it sends the object as is.
 * Also a TCP proxy that can cut a connection mid-upload (a link cut on a bad day).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../../src/lab/wait-for.js';
import { stopChild } from './sshd.js';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Server {
  port: number;
  /** The PEM certificate to trust (restic --cacert, our `ca`). */
  certFile: string;
  cert: Buffer;
  dir: string;
  /**
   * The server process killed (SIGKILL: gone without a goodbye); its data kept, as S3 would keep
   * it: only the objects whose upload had completed (see scrubIncompleteObjects).
   */
  kill(): Promise<void>;
  /** The server again, on the same data directory and port, after kill(). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function s3SkipReason(): string | undefined {
  try {
    createRequire(import.meta.url).resolve('s3rver');
  } catch {
    return 's3rver is not installed (a devDependency: npm ci)';
  }
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return 'openssl is not installed (needed for the test certificate)';
  }
  return undefined;
}

export async function startS3Server(buckets: string[] = []): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'hs-s3-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const cert = readFileSync(certFile);
  const listen = async (at: number): Promise<[ChildProcess, number]> => {
    const child = spawn(process.execPath, ['--openssl-legacy-provider', fileURLToPath(new URL('./s3rver-main.js', import.meta.url)), join(dir, 'data'), keyFile, certFile, String(at), ...buckets], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const port = await waitFor(() => Number(/"port":(\d+)/.exec(output)?.[1] ?? 0) || (child.exitCode !== null ? Promise.reject(new Error(output)) : 0), { description: `s3rver to listen (${output})`, timeoutMs: 30_000 });
    return [child, port];
  };
  let [child, port] = await listen(0);
  return {
    port,
    certFile,
    cert,
    dir,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      scrubIncompleteObjects(join(dir, 'data'));
    },
    async restart() {
      [child] = await listen(port);
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * S3 stores an object whole or not at all; s3rver writes an object's data file as the upload
 * streams in and its metadata file after, neither atomically. Killed mid-upload it leaves a data
 * file without metadata, or a metadata file cut short, and a cut one makes every later listing of
 * the bucket fail with HTTP 500 (JSON.parse). Such leftovers are removed, so the server comes back
 * as S3 would: without the objects whose upload never completed.
 */
function scrubIncompleteObjects(root: string): void {
  const OBJECT = '._S3rver_object';
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root, { recursive: true })) {
    const name = String(entry);
    if (!name.endsWith(OBJECT)) continue;
    const base = join(root, name.slice(0, -OBJECT.length));
    let complete = false;
    try {
      JSON.parse(readFileSync(`${base}._S3rver_metadata.json`, 'utf8'));
      complete = true;
    } catch {
      // no metadata yet, or cut short: the upload never completed
    }
    if (!complete) for (const suffix of [OBJECT, `${OBJECT}.md5`, '._S3rver_metadata.json']) rmSync(`${base}${suffix}`, { force: true });
  }
}

/** Forwards loopback connections to `targetPort`; cut() arms a cut after `bytes` more upstream bytes. */
export class CuttingProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  private cutAfter: number | undefined;
  private onCut: (() => void) | undefined;
  port = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.targetPort });
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('data', (d: Buffer) => {
        if (this.cutAfter !== undefined) {
          this.cutAfter -= d.length;
          if (this.cutAfter <= 0) {
            this.cutAfter = undefined;
            drop();
            this.onCut?.();
            return;
          }
        }
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => client.write(d));
      client.on('close', drop).on('error', drop);
      upstream.on('close', drop).on('error', drop);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cuts the connection that carries the next `bytes` upstream bytes; resolves when it did. */
  cut(bytes: number): Promise<void> {
    this.cutAfter = bytes;
    return new Promise((resolve) => (this.onCut = resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
