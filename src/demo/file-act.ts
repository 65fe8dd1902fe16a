/**
 * `hotstandby demo`, the file act (issue 12): each node serves a web root that a `directory`
 * resource replicates from the master to the backup. A file is written on the master and shows
 * up on the backup; the master dies (kill -9 of hotstandby and its web server); the client asks
 * for the file through the VIP and the new master serves it. Skipped with the reason where the
 * lab cannot run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson } from '../api/control-client.js';
import { controlSocketPath } from '../api/control-socket.js';
import { labUnavailableReason, nativeAddonUnavailableReason } from '../lab/environment.js';
import { Lab, preciseNow, waitFor, type LabProcess } from '../lab/index.js';
import { nodeEntryCommand } from '../lab/node-entry.js';
import type { ResourceStatus } from '../resources/group.js';
import type { Display } from './display.js';
import type { HttpPollConfig, HttpPollResult } from './http-poll-process.js';
import { DEMO_INSTANCE_NAME, demoNodeConfig } from './node-config.js';
import type { WebServerConfig } from './web-server-process.js';

export interface FileActResult {
  /** undefined when the act could not run here. */
  readonly ok: boolean | undefined;
  readonly skipped?: string;
  /** From the write on the master to the same bytes on the backup, ms. */
  readonly replicatedMs?: number;
  /** From the master's death to the request that the new master answered with the file, ms. */
  readonly servedAfterMs?: number;
}

export interface FileActOptions {
  /** Why the act cannot run here (tests inject one); default: the lab's and the addon's checks. */
  unavailableReason?: () => string | undefined;
}

const CLIENT = 'client';
const WEB_PORT = 80;
const FILE = 'hello.html';
const NODES = [
  { node: 'a', priority: 150, peer: 'b' },
  { node: 'b', priority: 100, peer: 'a' },
] as const;

/** The demo node's configuration plus the replicated web root. */
export function fileActNodeConfig(spec: Parameters<typeof demoNodeConfig>[0], www: { path: string; peer: string; keyFile: string }): string {
  return `${demoNodeConfig(spec)}
resources:
  www:
    kind: directory           # the master's web root is copied to the backup as it changes
    follows: ${DEMO_INSTANCE_NAME}
    path: ${www.path}
    peers: [${www.peer}]
    keyFile: ${www.keyFile}
    veto: { weight: -100 }    # an incomplete copy lowers the priority (not FAULT): a new pair can start
    monitorInterval: 200ms
    lagAlarm: { lag: 2s, for: 2s }
`;
}

export async function runFileAct(display: Display, options: FileActOptions = {}): Promise<FileActResult> {
  const reason = (options.unavailableReason ?? (() => labUnavailableReason() ?? nativeAddonUnavailableReason()))();
  if (reason !== undefined) {
    display.say(`file act skipped: ${reason}. Where it runs, the demo also shows a file written on the master served through the VIP by the new master after the master dies.`);
    return { ok: undefined, skipped: reason };
  }
  display.say('\nfile act: a web root on a and b, replicated from the master by the directory resource (TLS, atomic apply)');
  const lab = await Lab.create({ hosts: [...NODES.map((n) => n.node), CLIENT], ipv6: false });
  try {
    return await new FileAct(lab, display).run();
  } catch (error) {
    display.say(`file act failed: ${(error as Error).message}\n${await lab.logs(10).catch(() => '')}`);
    return { ok: false };
  } finally {
    await lab.destroy();
  }
}

class FileAct {
  private readonly vip: string;
  private readonly processes = new Map<string, { web: LabProcess; daemon: LabProcess; root: string; runtimeDir: string }>();

  constructor(
    private readonly lab: Lab,
    private readonly display: Display,
  ) {
    this.vip = lab.vip4(0);
  }

  async run(): Promise<FileActResult> {
    const { lab, display } = this;
    const keyFile = lab.writeFile('www.key', randomBytes(32).toString('hex'));
    for (const spec of NODES) {
      const root = join(lab.dir, `www-${spec.node}`);
      mkdirSync(root, { recursive: true });
      const runtimeDir = join(lab.dir, `files-${spec.node}-run`);
      const web = await this.startWeb(spec.node, root);
      const config = lab.writeFile(
        `files-${spec.node}.yaml`,
        fileActNodeConfig(
          { node: spec.node, priority: spec.priority, vip: this.vip, prefixLength: 24, vrid: 43, advertIntervalMs: 100, webPort: WEB_PORT, checkIntervalMs: 100 },
          { path: root, peer: lab.host(spec.peer).ipv4, keyFile },
        ),
      );
      const daemon = lab.startDaemon(spec.node, ['run', '--config', config, '--runtime-dir', runtimeDir, '--log-format', 'json'], { name: `files-hotstandby-${spec.node}`, cwd: lab.dir });
      this.processes.set(spec.node, { web, daemon, root, runtimeDir });
      const wanted = spec.node === 'a' ? 'MASTER' : 'BACKUP';
      await waitFor(async () => (await this.state(spec.node)) === wanted, { description: `${spec.node} ${wanted}`, timeoutMs: 20_000, intervalMs: 50 });
    }
    await waitFor(async () => (await this.resource('b'))?.eligibility?.eligible === true, { description: "b's copy of the web root complete", timeoutMs: 30_000, intervalMs: 50 });
    display.say(`  a is master and holds the VIP ${this.vip}; b's copy of the web root is complete`);

    const content = `<p>written on a at ${new Date().toISOString()}, before it died</p>\n`;
    const written = preciseNow();
    writeFileSync(join(this.node('a').root, FILE), content);
    await waitFor(() => readIfExists(join(this.node('b').root, FILE)) === content, { description: `${FILE} on b`, timeoutMs: 20_000, intervalMs: 2 });
    const replicatedMs = preciseNow() - written;
    display.say(`  wrote ${FILE} on a; the same bytes on b ${Math.round(replicatedMs)} ms later`);
    const before = await this.poll('a', 10_000);
    if (before.event !== 'answer') throw new Error(`GET http://${this.vip}/${FILE} never answered from a: ${before.last ?? ''}`);
    display.say(`  GET http://${this.vip}/${FILE} from the client: served by a`);

    const diedAt = Date.now();
    await Promise.all([this.node('a').daemon.stop('SIGKILL'), this.node('a').web.stop('SIGKILL')]);
    display.say('  kill -9 of hotstandby and the web server on a (the master dies)');
    const after = await this.poll('b', 30_000);
    if (after.event !== 'answer') {
      display.say(`  no answer from b through the VIP within 30 s (last: ${after.last ?? 'none'})`);
      return { ok: false, replicatedMs };
    }
    const servedAfterMs = Math.max(0, (after.at ?? diedAt) - diedAt);
    display.say(`  GET http://${this.vip}/${FILE} ${(servedAfterMs / 1000).toFixed(2)} s later: served by b: ${JSON.stringify((after.body ?? '').trim())}`);
    return { ok: after.body === content, replicatedMs, servedAfterMs };
  }

  private async startWeb(node: string, root: string): Promise<LabProcess> {
    const config: WebServerConfig = { node, port: WEB_PORT, labDir: this.lab.dir, root };
    const web = this.lab.spawn(node, nodeEntryCommand(new URL('./web-server-process.js', import.meta.url).href, 'runWebServer', config), { name: `files-web-${node}`, cwd: this.lab.dir });
    await web.waitForLine(/"event":"listening"/, 10_000);
    return web;
  }

  private async poll(from: string, timeoutMs: number): Promise<HttpPollResult> {
    const config: HttpPollConfig = { url: `http://${this.vip}:${WEB_PORT}/${FILE}`, from, intervalMs: 20, requestTimeoutMs: 200, timeoutMs };
    const { stdout } = await this.lab.exec(CLIENT, nodeEntryCommand(new URL('./http-poll-process.js', import.meta.url).href, 'runHttpPoll', config), { timeoutMs: timeoutMs + 10_000 });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as HttpPollResult;
  }

  private node(name: string) {
    const node = this.processes.get(name);
    if (node === undefined) throw new TypeError(`The file act has no node '${name}'`);
    return node;
  }

  private async state(node: string): Promise<string | undefined> {
    try {
      const status = (await getJson(controlSocketPath(this.node(node).runtimeDir), '/v1/status', 1000)) as { instances: Array<{ name: string; state: string }> };
      return status.instances.find((i) => i.name === DEMO_INSTANCE_NAME)?.state;
    } catch {
      return undefined;
    }
  }

  private async resource(node: string): Promise<ResourceStatus | undefined> {
    try {
      return ((await getJson(controlSocketPath(this.node(node).runtimeDir), '/v1/resources', 1000)) as { resources: ResourceStatus[] }).resources[0];
    } catch {
      return undefined;
    }
  }
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
