/**
 * The ports every subsystem may import (vrrp, checks, notify, api, and the data, backup and
 * dashboard subsystems to come). Each subsystem declares the narrower ports only it needs in its
 * own folder (e.g. src/daemon/ports.ts for a VRRP instance's sockets and addresses).
 */
export type { Clock, Timers } from './time.js';
export type { LogLevel, Logger } from './logger.js';
