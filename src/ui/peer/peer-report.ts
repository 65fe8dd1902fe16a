/**
 * What the peer says about itself: its GET /v1/status answer, checked field by field, so a peer
 * of another version or a proxy's error page gives a clear message instead of a broken page.
 */

export interface PeerInstance {
  name: string;
  state: string;
  priority: number;
  effectivePriority: number;
  masterAddress: string | null;
  maintenance: boolean;
  vips: string[];
}

export interface PeerReport {
  pid: number;
  startedAt: string;
  instances: PeerInstance[];
}

function fail(what: string): never {
  throw new TypeError(`The peer's /v1/status is not what hotstandby serves: ${what}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const STATES = new Set(['INIT', 'BACKUP', 'MASTER', 'FAULT']);

export function parsePeerStatus(body: string): PeerReport {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    fail(`not JSON (${JSON.stringify(body.slice(0, 60))})`);
  }
  if (!isRecord(json) || !Array.isArray(json['instances'])) fail('no instances list');
  const instances = json['instances'].map((raw, i): PeerInstance => {
    if (!isRecord(raw)) fail(`instance ${i} is not an object`);
    const { name, state, priority, effectivePriority, masterAddress, maintenance, vips } = raw;
    if (typeof name !== 'string' || name === '') fail(`instance ${i} has no name`);
    if (typeof state !== 'string' || !STATES.has(state)) fail(`instance ${name} has state ${JSON.stringify(state)}`);
    if (typeof priority !== 'number' || typeof effectivePriority !== 'number') fail(`instance ${name} has no priorities`);
    return {
      name,
      state,
      priority,
      effectivePriority,
      masterAddress: typeof masterAddress === 'string' ? masterAddress : null,
      maintenance: maintenance === true,
      vips: Array.isArray(vips) ? vips.filter((v): v is string => typeof v === 'string') : [],
    };
  });
  return { pid: typeof json['pid'] === 'number' ? json['pid'] : 0, startedAt: typeof json['startedAt'] === 'string' ? json['startedAt'] : '', instances };
}
