/**
 * The web server a service-death run kills: nginx as one process (`daemon off; master_process
 * off;`, so killing that process is killing the server), answering "node NAME" on port 80 as the
 * lab's HTTP client expects. Its access log keeps the time of every request from 127.0.0.1: those
 * are the health checks' requests, whose schedule the benchmark aims its kill against.
 */
import { readFile } from 'node:fs/promises';
import { servesLocalHttp, waitFor, type Lab, type LabProcess } from '../../src/lab/index.js';

export const NGINX = '/usr/sbin/nginx';

export interface WebServer {
  host: string;
  process: LabProcess;
  /** The pid file nginx writes (a native process check can watch it). */
  pidFile: string;
  /** The server's whole command line, as `ps -o args` shows it (keepalived's `process PROGRAM PARAMS`). */
  commandLine: string;
  /** When requests from 127.0.0.1 finished (epoch ms, millisecond resolution), oldest first. */
  localRequestTimes(): Promise<number[]>;
}

/** One access log line: "$msec $remote_addr" (nginx writes each line as the request ends). */
const ACCESS_LINE = /^(\d+\.\d+) (\S+)$/;

/** Request times of the local client (127.0.0.1) in an access log's text. */
export function localRequestTimesIn(text: string): number[] {
  const times: number[] = [];
  for (const line of text.split('\n')) {
    const match = ACCESS_LINE.exec(line.trim());
    if (match && match[2] === '127.0.0.1') times.push(Math.round(Number(match[1]) * 1000));
  }
  return times;
}

/** Starts nginx in `host` and resolves once it answers there. */
export async function startWebServer(lab: Lab, host: string): Promise<WebServer> {
  const base = `${lab.dir}/nginx-${host}`;
  const conf = lab.writeFile(
    `nginx-${host}.conf`,
    `daemon off;
master_process off;
pid ${base}.pid;
error_log ${base}.err;
events { worker_connections 256; }
http {
  log_format times '$msec $remote_addr';
  access_log ${base}.access times;
  server {
    listen 80;
    location / { return 200 "node ${host}\\n"; }
  }
}
`,
  );
  const argv = [NGINX, '-c', conf];
  const process = lab.spawn(host, argv, { name: `nginx-${host}` });
  await waitFor(async () => servesLocalHttp(lab, host), { description: `nginx serving in ${host}`, timeoutMs: 10_000 });
  return {
    host,
    process,
    pidFile: `${base}.pid`,
    commandLine: argv.join(' '),
    localRequestTimes: async () => localRequestTimesIn(await readFile(`${base}.access`, 'utf8').catch(() => '')),
  };
}
