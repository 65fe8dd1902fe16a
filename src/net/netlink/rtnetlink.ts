/**
 * rtnetlink client: reads links and addresses, adds and deletes addresses (VIPs), routes, rules
 * and macvlan links, and reports link / address changes. Two sockets from the native addon: one for requests (replies matched by
 * sequence number, see RequestTracker) and, once something subscribes, one for multicast
 * notifications, so a burst of events never delays or mixes with replies.
 */
import type { AddressFamily } from '../../vrrp/advert.js';
import { trySocketOption, type NativeBinding, type NativeSocket, type ReceivedMessage } from '../native.js';
import { type AddressInfo, type AddressSpec, decodeAddress, encodeAddressDumpRequest, encodeAddressRequest } from './address.js';
import * as K from './constants.js';
import { type LinkInfo, decodeLink, encodeLinkByNameRequest, encodeLinkDumpRequest } from './link.js';
import { decodeMessages, type NetlinkMessage } from './message.js';
import { isNetlinkError } from './netlink-error.js';
import { RequestTracker, type RequestResult } from './request-tracker.js';
import { describeRoute, encodeRouteRequest, type RouteSpec } from './route.js';
import { describeRule, encodeRuleRequest, type RuleSpec } from './rule.js';
import { encodeLinkDeleteRequest, encodeLinkUpRequest, encodeMacvlanCreateRequest, type MacvlanSpec } from './macvlan.js';
import { buildSockaddrNl, parseSockaddr } from '../sockaddr.js';

export type ChangeKind = 'new' | 'del';
export type AddResult = 'added' | 'exists';

export interface RtNetlinkOptions {
  /** How long a request may wait for its reply before it rejects with code 'ETIMEDOUT'. Default 2000. */
  timeoutMs?: number;
  /** Receive buffer asked for the notification socket (bytes), to make ENOBUFS rarer. Default 1 MiB. */
  eventBufferBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_EVENT_BUFFER_BYTES = 1 << 20;
/** A dump the kernel flags as inconsistent (NLM_F_DUMP_INTR) is retried this many times. */
const DUMP_ATTEMPTS = 3;

/** Socket-level values, taken from the addon's table when it has them (Linux ABI otherwise). */
const SOCKET_FALLBACKS = {
  AF_NETLINK: K.AF_NETLINK,
  NETLINK_ROUTE: K.NETLINK_ROUTE,
  SOCK_RAW: 3,
  SOCK_CLOEXEC: 0o2000000,
  SOCK_NONBLOCK: 0o4000,
  SOL_NETLINK: K.SOL_NETLINK,
  NETLINK_ADD_MEMBERSHIP: K.NETLINK_ADD_MEMBERSHIP,
  NETLINK_EXT_ACK: K.NETLINK_EXT_ACK,
  NETLINK_CAP_ACK: K.NETLINK_CAP_ACK,
  SOL_SOCKET: 1,
  SO_RCVBUF: 8,
  SO_RCVBUFFORCE: 33,
} as const;

type SocketConstant = keyof typeof SOCKET_FALLBACKS;

function constantOf(native: NativeBinding, name: SocketConstant): number {
  return native.constants[name] ?? SOCKET_FALLBACKS[name];
}

function openRouteSocket(native: NativeBinding): NativeSocket {
  const c = (name: SocketConstant): number => constantOf(native, name);
  const socket = new native.Socket(c('AF_NETLINK'), c('SOCK_RAW') | c('SOCK_CLOEXEC') | c('SOCK_NONBLOCK'), c('NETLINK_ROUTE'));
  try {
    socket.bind(buildSockaddrNl());
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}


/**
 * libuv reports POLLERR (e.g. a netlink socket whose receive queue overflowed) as a uv_poll error
 * and stops watching the socket; such a socket must be replaced to receive again.
 */
function pollingStopped(err: Error): boolean {
  return (err as NodeJS.ErrnoException).syscall === 'uv_poll';
}

function isNoBuffers(err: Error): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOBUFS';
}

/** Only the kernel (port id 0) may speak to us; anything else is dropped. */
function fromKernel(received: ReceivedMessage): boolean {
  const sender = parseSockaddr(received.address);
  // No usable msg_name at all is accepted: the kernel always fills it, so that is a stand-in socket.
  return sender === null || (sender.family === 'netlink' && sender.pid === 0);
}

export class RtNetlink {
  private readonly tracker: RequestTracker;
  /** Replaced when libuv stops polling it (see requestSocketErrored). */
  private requestSocket: NativeSocket;
  /** Opened by the first onLink / onAddress. */
  private eventSocket: NativeSocket | undefined;
  private readonly joinedGroups = new Set<number>();
  private readonly linkListeners = new Set<(link: LinkInfo, change: ChangeKind) => void>();
  private readonly addressListeners = new Set<(address: AddressInfo, change: ChangeKind) => void>();
  private readonly resyncListeners = new Set<(reason: string) => void>();
  private readonly errorListeners = new Set<(err: Error) => void>();
  private readonly preparedAddresses = new WeakMap<AddressSpec, { payload: Buffer; description: string }>();
  private closed = false;

  private constructor(
    private readonly native: NativeBinding,
    private readonly options: Required<RtNetlinkOptions>,
  ) {
    this.requestSocket = this.openRequestSocket();
    this.tracker = new RequestTracker({
      send: (message) => this.requestSocket.sendTo(message, null) >= 0,
      timeoutMs: options.timeoutMs,
    });
  }

  /**
   * Opens the request socket. Throws (the addon's Error) when the socket cannot be created.
   * The open sockets keep the process alive until close().
   */
  static open(native: NativeBinding, options: RtNetlinkOptions = {}): RtNetlink {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new RangeError(`Netlink timeout ${timeoutMs} ms is not positive`);
    return new RtNetlink(native, { timeoutMs, eventBufferBytes: options.eventBufferBytes ?? DEFAULT_EVENT_BUFFER_BYTES });
  }

  /**
   * All links (RTM_GETLINK dump). A dump the kernel flags as inconsistent (the table changed while
   * it ran) is repeated up to 3 times; the last attempt's result is returned either way.
   */
  async links(): Promise<LinkInfo[]> {
    const messages = await this.consistentDump(K.RTM_GETLINK, encodeLinkDumpRequest(), 'RTM_GETLINK dump');
    return messages.flatMap((m) => (m.type === K.RTM_NEWLINK ? (decodeLink(m.payload) ?? []) : []));
  }

  /** One link by name; undefined when there is no such interface (ENODEV). */
  async link(name: string): Promise<LinkInfo | undefined> {
    const payload = encodeLinkByNameRequest(name);
    try {
      const { messages } = await this.tracker.request(K.RTM_GETLINK, 0, payload, `RTM_GETLINK '${name}'`);
      const reply = messages.find((m) => m.type === K.RTM_NEWLINK);
      return reply ? decodeLink(reply.payload) : undefined;
    } catch (err) {
      if (isNetlinkError(err, 'ENODEV')) return undefined;
      throw err;
    }
  }

  /** All addresses (RTM_GETADDR dump, repeated like links()), optionally of one family and/or interface index. */
  async addresses(filter: { family?: AddressFamily; index?: number } = {}): Promise<AddressInfo[]> {
    const operation = `RTM_GETADDR dump${filter.family ? ` IPv${filter.family}` : ''}`;
    const messages = await this.consistentDump(K.RTM_GETADDR, encodeAddressDumpRequest(filter.family), operation);
    return messages.flatMap((m) => {
      if (m.type !== K.RTM_NEWADDR) return [];
      const info = decodeAddress(m.payload);
      if (!info) return [];
      if (filter.family !== undefined && info.family !== filter.family) return [];
      if (filter.index !== undefined && info.index !== filter.index) return [];
      return [info];
    });
  }

  /**
   * Adds an address (RTM_NEWADDR with NLM_F_CREATE | NLM_F_EXCL). Resolves 'exists' when the kernel
   * answers EEXIST (the address is already on that interface); rejects with a NetlinkError for any
   * other refusal (e.g. ENODEV for a missing ifindex), and TypeError / RangeError / SyntaxError for a
   * malformed spec.
   */
  async addAddress(spec: AddressSpec): Promise<AddResult> {
    const { payload, description } = this.prepareAddress(spec);
    return this.create(K.RTM_NEWADDR, payload, `RTM_NEWADDR ${description}`);
  }

  /**
   * Deletes an address (RTM_DELADDR). Rejects with a NetlinkError: code 'EADDRNOTAVAIL' when the
   * address (with that prefix length, and that label if one is given) is not on the interface,
   * 'ENODEV' when the ifindex does not exist.
   */
  async deleteAddress(spec: AddressSpec): Promise<void> {
    const { payload, description } = this.prepareAddress(spec);
    await this.tracker.request(K.RTM_DELADDR, 0, payload, `RTM_DELADDR ${description}`);
  }

  /**
   * Adds a route (RTM_NEWROUTE with NLM_F_CREATE | NLM_F_EXCL): 'exists' when the kernel already
   * has a route with that destination, table and metric; rejects with a NetlinkError otherwise
   * (e.g. ENETUNREACH for a gateway that is not reachable yet).
   */
  async addRoute(spec: RouteSpec): Promise<AddResult> {
    return this.create(K.RTM_NEWROUTE, encodeRouteRequest(spec, 'add'), `RTM_NEWROUTE ${describeRoute(spec)}`);
  }

  /** Deletes a route (RTM_DELROUTE); rejects with code 'ESRCH' when no such route exists. */
  async deleteRoute(spec: RouteSpec): Promise<void> {
    await this.tracker.request(K.RTM_DELROUTE, 0, encodeRouteRequest(spec, 'delete'), `RTM_DELROUTE ${describeRoute(spec)}`);
  }

  /** Adds a policy rule (RTM_NEWRULE, NLM_F_EXCL): 'exists' when an identical rule is there. */
  async addRule(spec: RuleSpec): Promise<AddResult> {
    return this.create(K.RTM_NEWRULE, encodeRuleRequest(spec), `RTM_NEWRULE ${describeRule(spec)}`);
  }

  /** Deletes a policy rule (RTM_DELRULE); rejects with code 'ENOENT' when none matches. */
  async deleteRule(spec: RuleSpec): Promise<void> {
    await this.tracker.request(K.RTM_DELRULE, 0, encodeRuleRequest(spec), `RTM_DELRULE ${describeRule(spec)}`);
  }

  /** Creates a macvlan link (RTM_NEWLINK, NLM_F_EXCL): 'exists' when a link of that name is there. */
  async createMacvlan(spec: MacvlanSpec): Promise<AddResult> {
    return this.create(K.RTM_NEWLINK, encodeMacvlanCreateRequest(spec), `RTM_NEWLINK macvlan '${spec.name}'`);
  }

  /** Sets a link administratively up or down. */
  async setLinkUp(index: number, up: boolean): Promise<void> {
    await this.tracker.request(K.RTM_NEWLINK, 0, encodeLinkUpRequest(index, up), `RTM_NEWLINK ifindex ${index} ${up ? 'up' : 'down'}`);
  }

  /** Deletes a link (RTM_DELLINK); rejects with code 'ENODEV' when there is none. */
  async deleteLink(index: number): Promise<void> {
    await this.tracker.request(K.RTM_DELLINK, 0, encodeLinkDeleteRequest(index), `RTM_DELLINK ifindex ${index}`);
  }

  private async create(type: number, payload: Buffer, operation: string): Promise<AddResult> {
    try {
      await this.tracker.request(type, K.NLM_F_CREATE | K.NLM_F_EXCL, payload, operation);
      return 'added';
    } catch (err) {
      if (isNetlinkError(err, 'EEXIST')) return 'exists';
      throw err;
    }
  }

  /**
   * Encodes (and validates) an address request once per spec object: a VIP's request is built
   * when the instance is set up, not on the takeover path, where encoding cold code measured
   * 0.1–0.4 ms. A spec must not be changed after it was first used. Throws as addAddress rejects
   * for a malformed spec.
   */
  prepareAddress(spec: AddressSpec): { payload: Buffer; description: string } {
    let prepared = this.preparedAddresses.get(spec);
    if (prepared === undefined) {
      prepared = { payload: encodeAddressRequest(spec), description: describe(spec) };
      this.preparedAddresses.set(spec, prepared);
    }
    return prepared;
  }

  /**
   * Calls back on every link notification (RTM_NEWLINK: appeared or changed, e.g. up/down/carrier;
   * RTM_DELLINK: removed). The subscription is active when this returns, so subscribe before the
   * initial links() to miss nothing. Returns an unsubscribe function.
   */
  onLink(listener: (link: LinkInfo, change: ChangeKind) => void): () => void {
    this.join([K.RTNLGRP_LINK]);
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  /** As onLink, for IPv4 and IPv6 address notifications (RTM_NEWADDR / RTM_DELADDR). */
  onAddress(listener: (address: AddressInfo, change: ChangeKind) => void): () => void {
    this.join([K.RTNLGRP_IPV4_IFADDR, K.RTNLGRP_IPV6_IFADDR]);
    this.addressListeners.add(listener);
    return () => this.addressListeners.delete(listener);
  }

  /**
   * Called when notifications were lost (the kernel reported ENOBUFS on the notification socket).
   * The listener should re-read links() / addresses() to learn the current state.
   */
  onResync(listener: (reason: string) => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  /**
   * Socket errors, malformed datagrams, and exceptions thrown by listeners. Without any error
   * listener these become process warnings (they never throw into the event loop).
   */
  onError(listener: (err: Error) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** Closes both sockets; pending requests reject. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tracker.close(new Error('Netlink client was closed'));
    for (const socket of [this.requestSocket, this.eventSocket]) {
      if (!socket) continue;
      socket.stopReceiving();
      socket.close();
    }
    this.eventSocket = undefined;
    this.linkListeners.clear();
    this.addressListeners.clear();
    this.resyncListeners.clear();
    this.errorListeners.clear();
  }

  private async consistentDump(type: number, payload: Buffer, operation: string): Promise<NetlinkMessage[]> {
    let result: RequestResult | undefined;
    for (let attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++) {
      result = await this.tracker.dump(type, payload, operation);
      if (!result.interrupted) break;
    }
    return result?.messages ?? [];
  }

  private receiveReplies(batch: ReceivedMessage[]): void {
    for (const received of batch) {
      if (!fromKernel(received)) continue;
      const { messages, malformed } = decodeMessages(received.data);
      for (const message of messages) this.tracker.handle(message);
      if (malformed) this.emitError(new Error(`Malformed netlink reply: ${malformed}`));
    }
  }

  private receiveEvents(batch: ReceivedMessage[]): void {
    for (const received of batch) {
      if (!fromKernel(received)) continue;
      const { messages, malformed } = decodeMessages(received.data);
      for (const message of messages) this.dispatchEvent(message);
      if (malformed) this.emitError(new Error(`Malformed netlink notification: ${malformed}`));
    }
  }

  private dispatchEvent(message: NetlinkMessage): void {
    switch (message.type) {
      case K.RTM_NEWLINK:
      case K.RTM_DELLINK: {
        const link = decodeLink(message.payload);
        const change: ChangeKind = message.type === K.RTM_NEWLINK ? 'new' : 'del';
        if (link) for (const listener of [...this.linkListeners]) this.safely(() => listener(link, change));
        return;
      }
      case K.RTM_NEWADDR:
      case K.RTM_DELADDR: {
        const address = decodeAddress(message.payload);
        const change: ChangeKind = message.type === K.RTM_NEWADDR ? 'new' : 'del';
        if (address) for (const listener of [...this.addressListeners]) this.safely(() => listener(address, change));
        return;
      }
      default:
      // Other groups' messages and NLMSG_* control messages are not notifications we report.
    }
  }

  private openRequestSocket(): NativeSocket {
    const socket = openRouteSocket(this.native);
    // Kernel explanations in errors, and ACKs without the echoed request.
    trySocketOption(socket, constantOf(this.native, 'SOL_NETLINK'), constantOf(this.native, 'NETLINK_EXT_ACK'), 1);
    trySocketOption(socket, constantOf(this.native, 'SOL_NETLINK'), constantOf(this.native, 'NETLINK_CAP_ACK'), 1);
    socket.startReceiving(
      (batch) => this.receiveReplies(batch),
      (err) => this.requestSocketErrored(socket, err),
    );
    return socket;
  }

  /** Replies may have been lost: fail what is in flight now rather than at the timeout. */
  private requestSocketErrored(socket: NativeSocket, err: Error): void {
    if (this.closed || socket !== this.requestSocket) return;
    this.emitError(err);
    if (pollingStopped(err)) {
      try {
        this.requestSocket = this.openRequestSocket();
      } catch (openErr) {
        this.emitError(openErr instanceof Error ? openErr : new Error(String(openErr)));
      }
      socket.close();
    }
    if (pollingStopped(err) || isNoBuffers(err)) this.tracker.failInFlight(err);
  }

  /**
   * ENOBUFS means notifications were dropped; a uv_poll error means the socket is no longer
   * watched (libuv stops on POLLERR, which an overflow raises) and it is replaced, also losing
   * notifications. Either way listeners are asked to resync, after the new socket is subscribed.
   */
  private eventSocketErrored(socket: NativeSocket, err: Error): void {
    if (this.closed || socket !== this.eventSocket) return;
    if (pollingStopped(err)) {
      socket.close();
      this.eventSocket = undefined;
      const groups = [...this.joinedGroups];
      this.joinedGroups.clear();
      try {
        this.join(groups);
      } catch (openErr) {
        this.emitError(openErr instanceof Error ? openErr : new Error(String(openErr)));
        return;
      }
    } else if (!isNoBuffers(err)) {
      this.emitError(err);
      return;
    }
    const reason = pollingStopped(err)
      ? `The notification socket failed (${err.message}; libuv reports a receive overflow this way) and was reopened; notifications may have been lost, re-read links and addresses`
      : 'The kernel dropped notifications (ENOBUFS); re-read links and addresses';
    for (const listener of [...this.resyncListeners]) this.safely(() => listener(reason));
  }

  private join(groups: number[]): void {
    if (this.closed) throw new Error('Netlink client was closed');
    const socket = this.eventSocket ?? this.openEventSocket();
    for (const group of groups) {
      if (this.joinedGroups.has(group)) continue;
      socket.setOptionInt(constantOf(this.native, 'SOL_NETLINK'), constantOf(this.native, 'NETLINK_ADD_MEMBERSHIP'), group);
      this.joinedGroups.add(group);
    }
  }

  private openEventSocket(): NativeSocket {
    const socket = openRouteSocket(this.native);
    const solSocket = constantOf(this.native, 'SOL_SOCKET');
    const bytes = this.options.eventBufferBytes;
    // SO_RCVBUFFORCE passes rmem_max when privileged; SO_RCVBUF is capped by it otherwise.
    if (!trySocketOption(socket, solSocket, constantOf(this.native, 'SO_RCVBUFFORCE'), bytes)) {
      trySocketOption(socket, solSocket, constantOf(this.native, 'SO_RCVBUF'), bytes);
    }
    socket.startReceiving(
      (batch) => this.receiveEvents(batch),
      (err) => this.eventSocketErrored(socket, err),
    );
    this.eventSocket = socket;
    return socket;
  }

  private safely(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.emitError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private emitError(err: Error): void {
    if (this.errorListeners.size === 0) {
      process.emitWarning(err.message, { code: 'HOTSTANDBY_NETLINK' });
      return;
    }
    for (const listener of [...this.errorListeners]) {
      try {
        listener(err);
      } catch (listenerErr) {
        process.emitWarning(`Netlink error listener threw: ${String(listenerErr)}`, { code: 'HOTSTANDBY_NETLINK' });
      }
    }
  }
}

function describe(spec: AddressSpec): string {
  return `${spec.address}/${spec.prefixLength} on ifindex ${spec.ifindex}${spec.label ? ` label '${spec.label}'` : ''}`;
}
