/** The test's side of an impairment relay (see relay-process.ts for the process that forwards). */
import type { DirectionStats, Impairment, ImpairmentSettings } from './impairment.js';
import { JsonChannel } from './json-channel.js';
import type { LabProcess } from './lab-process.js';

export interface RelayStats {
  fromHost: DirectionStats;
  toHost: DirectionStats;
}

export class Relay {
  private readonly channel: JsonChannel;

  constructor(readonly process: LabProcess) {
    this.channel = new JsonChannel(process);
  }

  async ready(timeoutMs = 15_000): Promise<this> {
    await this.channel.next('ready', timeoutMs);
    return this;
  }

  async apply(fromHost: Impairment, toHost: Impairment): Promise<{ fromHost: ImpairmentSettings; toHost: ImpairmentSettings }> {
    const answer = await this.channel.request({ fromHost, toHost }, 'applied');
    return { fromHost: answer.fromHost as ImpairmentSettings, toHost: answer.toHost as ImpairmentSettings };
  }

  async stats(): Promise<RelayStats> {
    const answer = await this.channel.request({ stats: true }, 'stats');
    return { fromHost: answer.fromHost as DirectionStats, toHost: answer.toHost as DirectionStats };
  }
}
