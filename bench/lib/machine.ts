/**
 * What the benchmark ran on, and how busy the machine was meanwhile: these machines are shared
 * virtual machines, so every result is stored next to the load and the steal time of its run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  keepalived: string;
  memoryMb: number;
}

export function machineInfo(): MachineInfo {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  return {
    cpuModel: model,
    cores: cpus().length,
    kernel: release(),
    node: process.version,
    keepalived: keepalivedVersion(),
    memoryMb: Math.round(totalmem() / 2 ** 20),
  };
}

function keepalivedVersion(): string {
  // keepalived prints its version banner on stderr.
  const result = spawnSync('/usr/sbin/keepalived', ['--version'], { encoding: 'utf8' });
  if (result.error) return 'keepalived unavailable';
  return firstLine(`${result.stdout ?? ''}${result.stderr ?? ''}`);
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim())?.trim() ?? 'unknown';
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The aggregate "cpu" line of /proc/stat, in clock ticks. */
interface CpuTimes {
  total: number;
  idle: number;
  steal: number;
}

function readCpuTimes(): CpuTimes | undefined {
  const line = safeRead('/proc/stat')
    .split('\n')
    .find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait, steal };
}

export interface HostLoad {
  seconds: number;
  /** Share of all cores' time the hypervisor gave to others (steal), percent. */
  stealPct: number;
  /** Share of all cores' time that was busy (any process, including the benchmark), percent. */
  busyPct: number;
  /** 1-minute load average: mean and maximum of samples taken every second. */
  loadMean: number;
  loadMax: number;
}

/** Watches the machine from now until stop(): steal and busy share, load average. */
export class HostLoadWindow {
  private readonly start = readCpuTimes();
  private readonly startedAt = performance.now();
  private readonly loads: number[] = [loadavg()[0] ?? 0];
  private readonly timer = setInterval(() => this.loads.push(loadavg()[0] ?? 0), 1000);

  constructor() {
    this.timer.unref();
  }

  stop(): HostLoad {
    clearInterval(this.timer);
    this.loads.push(loadavg()[0] ?? 0);
    const end = readCpuTimes();
    const seconds = (performance.now() - this.startedAt) / 1000;
    let stealPct = Number.NaN;
    let busyPct = Number.NaN;
    if (this.start && end && end.total > this.start.total) {
      const total = end.total - this.start.total;
      stealPct = (100 * (end.steal - this.start.steal)) / total;
      busyPct = (100 * (total - (end.idle - this.start.idle))) / total;
    }
    return {
      seconds,
      stealPct,
      busyPct,
      loadMean: this.loads.reduce((a, b) => a + b, 0) / this.loads.length,
      loadMax: Math.max(...this.loads),
    };
  }
}

/** "load 2.1 (max 3.0), steal 1.2 %, busy 80 %". */
export function describeLoad(load: HostLoad): string {
  return `load ${load.loadMean.toFixed(1)} (max ${load.loadMax.toFixed(1)}), steal ${load.stealPct.toFixed(1)} %, busy ${load.busyPct.toFixed(0)} %`;
}
