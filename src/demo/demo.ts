/**
 * `hotstandby demo`: a two-node hot standby in network namespaces, shown live. Nodes a and b and
 * a client share a bridge; each node runs a small web service that names it and hotstandby with
 * an HTTP check on that service. The client asks the virtual address every 20 ms. The demo kills
 * the master's web service, brings it back, cuts the master's link and heals it, and after each
 * says how long the client went without an answer.
 *
 * Everything lives in the lab (src/lab), which removes its namespaces and processes in destroy(),
 * and also on exit and on signals.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson } from '../api/control-client.js';
import { controlSocketPath } from '../api/control-socket.js';
import type { DaemonStatus } from '../api/control-api.js';
import { statusJson, table } from '../cli/status.js';
import { Lab, preciseNow, waitFor, type ClientLog, type HttpProber, type LabProcess } from '../lab/index.js';
import { nodeEntryCommand } from '../lab/node-entry.js';
import type { Display } from './display.js';
import { measureGap, type GapReport } from './gap.js';
import { formatLiveLine, liveLineKey, type NodeView } from './live-line.js';
import { DEMO_INSTANCE_NAME, demoNodeConfig } from './node-config.js';
import type { WebServerConfig } from './web-server-process.js';

/** The demo's fixed choices; tests and the text printed refer to them. */
export const DEMO_TIMING = Object.freeze({
  advertIntervalMs: 100,
  checkIntervalMs: 100,
  clientIntervalMs: 20,
  clientTimeoutMs: 200,
  /** A takeover slower than this counts as failed. */
  takeoverTimeoutMs: 8000,
  /** After the new node's first answer: late timeouts and a possible second switch still count. */
  settleMs: 800,
  /** Quiet time between two faults, so each starts from a steady state. */
  steadyMs: 1500,
  liveRefreshMs: 500,
});

const NODES = [
  { node: 'a', priority: 150 },
  { node: 'b', priority: 100 },
] as const;
const CLIENT = 'client';
const WEB_PORT = 80;
const VRID = 42;

export interface DemoOptions {
  display: Display;
  /** Leave the lab running after the summary until `untilInterrupted` resolves (--keep). */
  keep: boolean;
  /** Resolves when the user asks to stop (Ctrl-C); only awaited with keep. */
  untilInterrupted: () => Promise<void>;
}

export interface DemoEvent {
  /** What was done: "web service on a killed". */
  label: string;
  /** The node that should answer afterwards. */
  expected: string;
  /** The client's view of the window from the fault to shortly after the takeover. */
  report: GapReport;
  /** Fault to the first answer from the expected node, ms; undefined when it never answered. */
  takeoverMs: number | undefined;
  ok: boolean;
}

export interface DemoResult {
  events: DemoEvent[];
  /** Every fault led to the expected node answering. */
  ok: boolean;
}

interface DemoNode {
  node: string;
  priority: number;
  runtimeDir: string;
  web: LabProcess;
  daemon: LabProcess | undefined;
}

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const lab = await Lab.create({ hosts: [...NODES.map((n) => n.node), CLIENT], ipv6: false });
  const demo = new DemoRun(lab, options.display);
  try {
    await demo.start();
    const result = await demo.faults();
    demo.printSummary(result);
    if (options.keep) {
      demo.printKeepHelp();
      await options.untilInterrupted();
    }
    return result;
  } catch (error) {
    demo.stopLive();
    options.display.endLive();
    options.display.say(`last lines of the lab's processes:\n${await lab.logs(15).catch(() => '(none)')}`);
    throw error;
  } finally {
    demo.stopLive();
    options.display.endLive();
    await lab.destroy();
    options.display.say('lab removed (namespaces and processes)', { verbose: true });
  }
}

class DemoRun {
  private readonly nodes = new Map<string, DemoNode>();
  private prober: HttpProber | undefined;
  private readonly vip: string;
  private readonly startedAt = preciseNow();
  private liveTimer: NodeJS.Timeout | undefined;
  private liveBusy = false;

  constructor(
    private readonly lab: Lab,
    private readonly display: Display,
  ) {
    this.vip = lab.vip4(0);
  }

  // ── set-up ─────────────────────────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    const { display, lab } = this;
    const hosts = [...NODES.map((n) => `${n.node} ${lab.host(n.node).ipv4} (priority ${n.priority})`), `client ${lab.host(CLIENT).ipv4}`];
    display.say('hotstandby demo: two nodes and a client on one bridge, each in its own network namespace', { verbose: true });
    display.say(`  ${hosts.join('   ')}   VIP ${this.vip}`, { verbose: true });
    display.say(`  each node: a web service on port ${WEB_PORT} that answers "node <name>", and hotstandby:`, { verbose: true });
    display.say(
      `    VRRPv3 adverts every ${DEMO_TIMING.advertIntervalMs} ms, an HTTP check on the web service every ` +
        `${DEMO_TIMING.checkIntervalMs} ms (failing = FAULT)`,
      { verbose: true },
    );
    display.say(
      `  the client: GET http://${this.vip}/ every ${DEMO_TIMING.clientIntervalMs} ms, ${DEMO_TIMING.clientTimeoutMs} ms timeout`,
      { verbose: true },
    );

    for (const spec of NODES) {
      const runtimeDir = join(lab.dir, `${spec.node}-run`);
      this.nodes.set(spec.node, { ...spec, runtimeDir, web: await this.startWeb(spec.node), daemon: undefined });
    }
    // a first, so that it is master before b starts: the election is then the same every run.
    for (const spec of NODES) {
      const node = this.node(spec.node);
      const configPath = lab.writeFile(
        `${spec.node}.yaml`,
        demoNodeConfig({
          node: spec.node,
          priority: spec.priority,
          vip: this.vip,
          prefixLength: 24,
          vrid: VRID,
          advertIntervalMs: DEMO_TIMING.advertIntervalMs,
          webPort: WEB_PORT,
          checkIntervalMs: DEMO_TIMING.checkIntervalMs,
        }),
      );
      node.daemon = lab.startDaemon(spec.node, ['run', '--config', configPath, '--runtime-dir', node.runtimeDir, '--log-format', 'json'], {
        cwd: lab.dir,
      });
      const wanted = spec.node === 'a' ? 'MASTER' : 'BACKUP';
      await this.waitUntil(async () => (await this.state(spec.node)) === wanted, `${spec.node} to be ${wanted}`, node.daemon);
    }
    await this.waitUntil(async () => (await lab.vipHolder(this.vip)).join() === 'a', `the VIP on a`);
    this.prober = lab.startHttpProber(CLIENT, `http://${this.vip}:${WEB_PORT}/`, {
      intervalMs: DEMO_TIMING.clientIntervalMs,
      timeoutMs: DEMO_TIMING.clientTimeoutMs,
    });
    const started = preciseNow();
    await this.waitUntil(() => this.client.firstAnswerFrom('a', started - 1000) !== undefined, 'the client to get answers from a');
    this.startLive();
    await sleep(DEMO_TIMING.steadyMs);
  }

  private async startWeb(node: string): Promise<LabProcess> {
    const config: WebServerConfig = { node, port: WEB_PORT, labDir: this.lab.dir };
    const web = this.lab.spawn(node, nodeEntryCommand(new URL('./web-server-process.js', import.meta.url).href, 'runWebServer', config), {
      name: `web-${node}`,
      cwd: this.lab.dir,
    });
    await web.waitForLine(/"event":"listening"/, 10_000);
    return web;
  }

  /** What the client saw; it starts once a is master. */
  private get client(): ClientLog {
    if (!this.prober) throw new Error('The client has not been started');
    return this.prober.log;
  }

  // ── the faults ─────────────────────────────────────────────────────────────────────────────

  async faults(): Promise<DemoResult> {
    const events: DemoEvent[] = [];
    const killed = await this.fault('web service on a killed', 'b', async () => {
      await this.node('a').web.stop('SIGKILL');
    });
    events.push(killed);
    await sleep(DEMO_TIMING.steadyMs);

    events.push(
      await this.fault('web service on a restarted', 'a', async () => {
        this.node('a').web = await this.startWeb('a');
      }),
    );
    await sleep(DEMO_TIMING.steadyMs);

    events.push(await this.fault('link of a cut', 'b', () => this.lab.cutLink('a')));
    await sleep(DEMO_TIMING.steadyMs);

    events.push(await this.fault('link of a healed', 'a', () => this.lab.healLink('a')));
    await sleep(DEMO_TIMING.steadyMs / 2);
    return { events, ok: events.every((e) => e.ok) };
  }

  /** Does `action` and watches the client until `expected` answers (or the takeover times out). */
  private async fault(label: string, expected: string, action: () => Promise<unknown>): Promise<DemoEvent> {
    this.display.say(`» ${label}`, { verbose: true });
    const from = preciseNow();
    await action();
    let takeoverMs: number | undefined;
    try {
      const first = await waitFor(() => this.client.firstAnswerFrom(expected, from), {
        description: `an answer from ${expected}`,
        timeoutMs: DEMO_TIMING.takeoverTimeoutMs,
        intervalMs: 10,
      });
      takeoverMs = first.at - from;
    } catch {
      takeoverMs = undefined;
    }
    await sleep(DEMO_TIMING.settleMs);
    const report = measureGap(this.client.outcomes, from, preciseNow());
    const event: DemoEvent = { label, expected, report, takeoverMs, ok: takeoverMs !== undefined && report.after === expected };
    this.display.say(describeEvent(event));
    return event;
  }

  // ── live view ──────────────────────────────────────────────────────────────────────────────

  private startLive(): void {
    if (this.display.mode === 'quiet') return;
    const refresh = async () => {
      if (this.liveBusy) return;
      this.liveBusy = true;
      try {
        const [views, holders] = await Promise.all([
          Promise.all(NODES.map((n) => this.view(n.node))),
          this.lab.vipHolder(this.vip).catch(() => [] as string[]),
        ]);
        if (this.liveTimer === undefined) return;
        const now = preciseNow();
        const snapshot = { elapsedMs: now - this.startedAt, nodes: views, vipHolders: holders, ...this.client.recent(now) };
        this.display.live(formatLiveLine(snapshot), liveLineKey(snapshot));
      } finally {
        this.liveBusy = false;
      }
    };
    this.liveTimer = setInterval(() => void refresh(), DEMO_TIMING.liveRefreshMs);
    void refresh();
  }

  stopLive(): void {
    clearInterval(this.liveTimer);
    this.liveTimer = undefined;
  }

  /** The node's instance as `hotstandby status --json` shows it. */
  private async view(node: string): Promise<NodeView> {
    const instance = await this.instance(node);
    return { node, state: instance?.state, priority: instance?.effectivePriority };
  }

  private async instance(node: string): Promise<{ state: string; effectivePriority: number } | undefined> {
    try {
      const status = (await getJson(controlSocketPath(this.node(node).runtimeDir), '/v1/status', 1000)) as DaemonStatus;
      const instances = statusJson(status).instances as Array<{ name: string; state: string; effectivePriority: number }>;
      return instances.find((i) => i.name === DEMO_INSTANCE_NAME);
    } catch {
      return undefined;
    }
  }

  private async state(node: string): Promise<string | undefined> {
    return (await this.instance(node))?.state;
  }

  // ── output ─────────────────────────────────────────────────────────────────────────────────

  printSummary(result: DemoResult): void {
    const { display } = this;
    display.endLive();
    const rows = result.events.map((e) => [
      e.label,
      e.report.after ?? '-',
      e.ok ? formatMs(e.report.gapMs) : `${formatMs(e.report.gapMs)}${e.report.open ? '+' : ''} (no takeover)`,
      String(e.report.failed),
    ]);
    display.say('');
    display.say(
      `summary: the longest time the client got no answer (GET every ${DEMO_TIMING.clientIntervalMs} ms, ` +
        `${DEMO_TIMING.clientTimeoutMs} ms timeout; VRRPv3 adverts every ${DEMO_TIMING.advertIntervalMs} ms)`,
    );
    display.say(table(['EVENT', 'ANSWERING', 'CLIENT GAP', 'FAILED REQUESTS'], rows).replace(/^/gm, '  '));
    if (!result.ok) {
      display.say('');
      display.say('Some faults did not lead to a takeover: see the lines above (logs are in the lab directory with --keep).');
    }
  }

  printKeepHelp(): void {
    const { display, lab } = this;
    const a = this.node('a');
    display.say('');
    display.say(`The lab stays up until Ctrl-C. Files (configs, logs): ${lab.dir}`);
    display.say(`  ip netns exec ${lab.host(CLIENT).ns} curl http://${this.vip}/`);
    display.say(`  ./bin/hotstandby status --runtime-dir ${a.runtimeDir}`);
    display.say(`  ./bin/hotstandby events --follow --runtime-dir ${a.runtimeDir}`);
    display.say(`  ip netns exec ${lab.host('a').ns} ip addr show eth0`);
    display.say('');
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────

  private node(name: string): DemoNode {
    const node = this.nodes.get(name);
    if (node === undefined) throw new TypeError(`The demo has no node '${name}'`);
    return node;
  }

  /** waitFor, failing at once (with the process's log) when a process it depends on exits. */
  private async waitUntil(condition: () => boolean | Promise<boolean>, description: string, owner?: LabProcess): Promise<void> {
    const waiting = waitFor(condition, { description, timeoutMs: 15_000, intervalMs: 50 });
    if (owner === undefined) {
      await waiting;
      return;
    }
    const died = owner.exited.then(async (exit) => {
      const log = await owner.readLog().catch(() => '');
      throw new Error(`${owner.name} exited (code ${exit.code}, signal ${exit.signal}):\n${log.split('\n').slice(-15).join('\n')}`);
    });
    // race() handles whichever settles later, so neither is an unhandled rejection.
    await Promise.race([waiting, died]);
  }
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function describeEvent(event: DemoEvent): string {
  const { report } = event;
  const failed = `${report.failed} request${report.failed === 1 ? '' : 's'} failed`;
  if (!event.ok) {
    const now = report.after === undefined ? 'no node answers' : `${report.after} answers`;
    return `${event.label}: no takeover by ${event.expected} within ${formatMs(DEMO_TIMING.takeoverTimeoutMs)} (${now}); client gap ${formatMs(report.gapMs)}${report.open ? ' and counting' : ''}, ${failed}`;
  }
  const moved = report.switchedTo === undefined ? `${event.expected} answers (it did before)` : `${event.expected} took over`;
  return `${event.label}: ${moved}; client gap ${formatMs(report.gapMs)}, ${failed}`;
}
