/**
 * http / https GET check. Each run opens a fresh connection (no agent, Connection: close), so a
 * server that stopped accepting is noticed even while old connections still work. Redirects are
 * not followed: a 3xx is judged against the expected status ranges like any other status.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { HttpCheckConfig } from '../config/check-model.js';
import { describeError, printable, settleOnce, type Probe, type ProbeTime, type Settle } from './probe.js';

/** Body bytes read for the regex; a longer body is cut here (the match runs on the prefix). */
export const HTTP_BODY_LIMIT = 64 * 1024;

export type HttpProbeConfig = Pick<HttpCheckConfig, 'url' | 'expectStatus' | 'bodyRegex' | 'tlsVerify' | 'hostHeader' | 'timeoutMs'>;

export function createHttpProbe(config: HttpProbeConfig, time: ProbeTime): Probe {
  const target = parseTarget(config.url);
  const regex = compileRegex(config.bodyRegex);
  return {
    run(signal) {
      // A configuration this probe cannot use fails every run, at once.
      if (typeof target === 'string') return Promise.resolve({ ok: false, latencyMs: 0, detail: target });
      if (typeof regex === 'string') return Promise.resolve({ ok: false, latencyMs: 0, detail: regex });
      return settleOnce(time, signal, config.timeoutMs, `timed out after ${config.timeoutMs} ms`, (settle) => {
        let req: ClientRequest;
        try {
          const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
          req = send(target.url, requestOptions(config, target.url));
        } catch (err) {
          settle(false, `cannot send the request: ${describeError(err)}`);
          return undefined;
        }
        req.on('error', (err) => settle(false, describeError(err)));
        req.on('response', (res) => onResponse(res, config, regex, settle));
        req.end();
        // Tears the socket down whatever state it is in: nothing is reused.
        return () => req.destroy();
      });
    },
  };
}

function onResponse(
  res: IncomingMessage,
  config: HttpProbeConfig,
  regex: RegExp | undefined,
  settle: Settle,
): void {
  const status = res.statusCode ?? 0;
  const wanted = config.expectStatus.some(([low, high]) => status >= low && status <= high);
  if (!wanted) {
    const location = status >= 300 && status < 400 && res.headers.location ? ` (redirect to ${printable(res.headers.location, 200)} not followed)` : '';
    settle(false, `HTTP ${status}${location}, expected ${formatRanges(config.expectStatus)}`);
    return;
  }
  if (regex === undefined) {
    settle(true, `HTTP ${status}`);
    return;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  const judge = (truncated: boolean): void => {
    const body = Buffer.concat(chunks, length).toString('utf8');
    const cut = truncated ? ` (first ${HTTP_BODY_LIMIT} bytes)` : '';
    if (regex.test(body)) settle(true, `HTTP ${status}, body matches /${regex.source}/${cut}`);
    else settle(false, `HTTP ${status}, body does not match /${regex.source}/${cut}`);
  };
  res.on('data', (chunk: Buffer) => {
    const room = HTTP_BODY_LIMIT - length;
    chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    length += Math.min(chunk.length, room);
    if (length >= HTTP_BODY_LIMIT) judge(true);
  });
  res.on('end', () => judge(false));
  res.on('error', (err) => settle(false, `reading the body: ${describeError(err)}`));
}

function requestOptions(config: HttpProbeConfig, url: URL): RequestOptions & { rejectUnauthorized?: boolean; servername?: string } {
  const headers: Record<string, string> = {
    'user-agent': 'hotstandby-check',
    accept: '*/*',
    connection: 'close',
  };
  if (config.hostHeader !== undefined) headers.host = config.hostHeader;
  const options: RequestOptions & { rejectUnauthorized?: boolean; servername?: string } = {
    method: 'GET',
    headers,
    // No pooling: a fresh connection per run proves the server still accepts.
    agent: false,
  };
  if (url.protocol === 'https:') {
    options.rejectUnauthorized = config.tlsVerify;
    // SNI must be a name: the Host override when the URL names an address.
    const sni = config.hostHeader?.replace(/:\d+$/, '') ?? url.hostname;
    if (isIP(sni.replace(/^\[|\]$/g, '')) === 0) options.servername = sni;
  }
  return options;
}

function parseTarget(text: string): { url: URL } | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `invalid URL '${text}'`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `URL '${text}' is not http:// or https://`;
  return { url };
}

function compileRegex(source: string | undefined): RegExp | undefined | string {
  if (source === undefined) return undefined;
  try {
    return new RegExp(source);
  } catch (err) {
    return `invalid body regex /${source}/: ${describeError(err)}`;
  }
}

function formatRanges(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([low, high]) => (low === high ? `${low}` : `${low}-${high}`)).join(', ');
}
