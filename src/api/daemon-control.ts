/**
 * What the control API and the metrics need from the running daemon. The daemon implements it;
 * API tests use a fake.
 */
import type { CheckSummary } from '../check/check-runner.js';
import type { HotstandbyConfig } from '../config/model.js';
import type { DaemonStatus } from './control-api.js';

/** One entry of the event log: transitions (with their reason), hook results, check changes, reloads. */
export interface EventRecord {
  /** Increasing from 1; clients follow with `since`. */
  seq: number;
  /** ISO wall-clock time. */
  time: string;
  type: 'transition' | 'hook' | 'check' | 'reload' | 'maintenance' | 'garp' | 'daemon' | 'resource' | 'replication-lag' | 'split-brain' | 'address-conflict' | 'notification' | 'backup';
  instance?: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface CheckStatus extends CheckSummary {
  /** Instances that track it, with the weight each applies. */
  trackedBy: Array<{ instance: string; weight: number }>;
}

export interface ReloadResult {
  ok: boolean;
  /** Why an invalid configuration was refused (the running one is untouched), or what changed. */
  message: string;
  changes: string[];
}

export class UnknownInstanceError extends Error {
  constructor(readonly instance: string) {
    super(`No instance named '${instance}'`);
    this.name = 'UnknownInstanceError';
  }
}

/**
 * The daemon refuses an action because of its current state (a reload or stop already under way,
 * GARP asked of an instance that is not master); the API answers 409 with the message.
 */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

export interface DaemonControl {
  status(): DaemonStatus;
  checks(): CheckStatus[];
  /** Events with seq > since (all kept ones without since). */
  events(since?: number): EventRecord[];
  /** Calls back for every new event; returns an unsubscribe function. */
  subscribe(listener: (event: EventRecord) => void): () => void;
  config(): HotstandbyConfig;
  /**
   * Re-reads the configuration file; concurrent calls are serialised. `actor` (who asked, e.g.
   * "admin token from 10.0.0.5") is named in the event log, as for the actions below.
   */
  reload(actor?: string): Promise<ReloadResult>;
  /**
   * Planned switchover: hand the VIP to the peer and stay backup until turned off. Refused
   * (ConflictError, naming why) when no peer can take over — a resource says so (PostgreSQL: the
   * peer is not the streaming synchronous standby), or no new master appears — and the instance
   * then keeps serving with maintenance off; `force` hands over all the same.
   */
  setMaintenance(instance: string, on: boolean, actor?: string, options?: { force?: boolean }): Promise<void>;
  /** One gratuitous ARP / NA burst now. */
  sendGarp(instance: string, actor?: string): void;
}
