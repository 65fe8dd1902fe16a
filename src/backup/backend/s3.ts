/**
 * A repository in an S3-compatible object store, as restic's s3 backend keeps it:
 * `s3:https://host[:port]/bucket[/prefix]` (or http://), path-style requests (or virtual-hosted:
 * s3/target.ts, restic's s3.bucket-lookup), the default layout
 * below the prefix (`prefix/config`, `prefix/data/ab/ab…`). Requests are signed with AWS
 * Signature Version 4 (s3/sigv4.ts) using AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * (/ AWS_SESSION_TOKEN), region AWS_DEFAULT_REGION or us-east-1.
 *
 * Writes are atomic by S3's own rule: a single PUT stores the whole object or nothing
 * ("Amazon S3 never adds partial objects", PutObject). Files are written once: save() asks first
 * (HEAD) and also sends `If-None-Match: *` (conditional writes) so that stores that support it
 * refuse a concurrent duplicate with 412.
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { AlreadyExistsError, NotFoundError, type Backend, type FileInfo, type FileType, type Handle, type TempFileInfo } from '../repo/backend.js';
import { layoutPath } from './layout.js';
import { errorSummary, parseListPage } from './s3/list-xml.js';
import { requestTarget, type BucketLookup, type RequestTarget } from './s3/target.js';
import { EMPTY_SHA256, canonicalQuery, sha256Hex, signRequest, uriEncode, type Credentials } from './s3/sigv4.js';

export interface S3Location {
  /** "http:" or "https:" */
  protocol: 'http:' | 'https:';
  host: string;
  port?: number;
  bucket: string;
  /** The key prefix without a trailing '/' ('' for the bucket's root). */
  prefix: string;
}

export interface S3BackendOptions {
  credentials: Credentials;
  region?: string;
  /** Extra CA certificates (PEM) to trust, as restic's --cacert. */
  ca?: string | Buffer;
  /** Keys per ListObjectsV2 page (default 1000, S3's maximum). */
  pageSize?: number;
  /** Parallel connections (default 8; restic's s3.connections). */
  connections?: number;
  /** restic's s3.storage-class: sent as x-amz-storage-class with every object written. */
  storageClass?: string;
  /** restic's s3.list-objects-v1: list with ListObjects (version 1, markers) instead of ListObjectsV2. */
  listObjectsV1?: boolean;
  /** restic's s3.bucket-lookup (default auto: s3/target.ts). */
  bucketLookup?: BucketLookup;
  /** The clock used for signatures. */
  now?: () => Date;
}

/** S3 errors other than the ones the Backend contract names, with the status and S3's code. */
export class S3Error extends Error {
  override name = 'S3Error';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const REQUEST_TIMEOUT_MS = 120_000;

export class S3Backend implements Backend {
  private readonly agent: HttpAgent;
  private readonly region: string;
  private readonly now: () => Date;
  private readonly target: RequestTarget;

  constructor(
    private readonly loc: S3Location,
    private readonly options: S3BackendOptions,
  ) {
    if (!/^[a-z0-9][a-z0-9.\-_]{1,62}$/i.test(loc.bucket)) throw new RangeError(`Invalid bucket name '${loc.bucket}'`);
    const agentOptions = { keepAlive: true, maxSockets: options.connections ?? 8 };
    this.agent = loc.protocol === 'https:' ? new HttpsAgent({ ...agentOptions, ...(options.ca ? { ca: options.ca } : {}) }) : new HttpAgent(agentOptions);
    this.region = options.region ?? 'us-east-1';
    this.now = options.now ?? (() => new Date());
    this.target = requestTarget(loc.host, loc.bucket, loc.protocol === 'https:', options.bucketLookup ?? 'auto');
  }

  location(): string {
    return `s3:${this.loc.protocol}//${this.hostHeader()}/${this.loc.bucket}${this.loc.prefix ? '/' + this.loc.prefix : ''}`;
  }

  private hostHeader(host = this.loc.host): string {
    return this.loc.port === undefined ? host : `${host}:${this.loc.port}`;
  }

  private key(h: Handle): string {
    const rel = layoutPath(h);
    return this.loc.prefix ? `${this.loc.prefix}/${rel}` : rel;
  }

  private send(method: string, key: string | undefined, query: Record<string, string> = {}, body?: Uint8Array, extra: Record<string, string> = {}): Promise<Response> {
    const bucketPath = this.target.bucketPath && `/${uriEncode(this.loc.bucket)}`;
    const path = key === undefined ? bucketPath || '/' : `${bucketPath}/${uriEncode(key, true)}`;
    const headers: Record<string, string> = { host: this.hostHeader(this.target.host), ...extra };
    if (body) headers['content-length'] = String(body.length);
    const signed = signRequest({
      method,
      path,
      query,
      headers,
      payloadHash: body ? sha256Hex(body) : EMPTY_SHA256,
      region: this.region,
      time: this.now(),
      credentials: this.options.credentials,
    });
    const qs = canonicalQuery(query);
    const request = this.loc.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = request(
        {
          method,
          host: this.target.host,
          port: this.loc.port,
          path: qs ? `${path}?${qs}` : path,
          headers: { ...headers, ...signed },
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('aborted', () => reject(new Error(`${method} ${path}: the response was cut off`)));
          res.on('end', () => {
            if (!res.complete) return reject(new Error(`${method} ${path}: the response was cut off`));
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer from ${this.hostHeader()} in ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (err) => reject(new Error(`${method} ${this.location()}: ${err.message}`)));
      req.end(body);
    });
  }

  private failure(r: Response, what: string): S3Error {
    const summary = errorSummary(r.body.toString('utf8'));
    return new S3Error(r.status, `${what} at ${this.location()}: HTTP ${r.status}${summary ? ' ' + summary : ''}`);
  }

  private async bucketExists(): Promise<boolean> {
    const r = await this.send('HEAD', undefined);
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw this.failure(r, `HEAD bucket ${this.loc.bucket}`);
  }

  async create(): Promise<void> {
    if (!(await this.bucketExists())) {
      const r = await this.send('PUT', undefined, {}, new Uint8Array(0));
      if (r.status !== 200 && r.status !== 409) throw this.failure(r, `Creating bucket ${this.loc.bucket}`);
    }
    if (await this.head(this.key({ type: 'config', name: '' }))) throw new AlreadyExistsError(`A repository already exists at ${this.location()}`);
  }

  async open(): Promise<void> {
    if (!(await this.bucketExists())) throw new NotFoundError(`Bucket ${this.loc.bucket} does not exist at ${this.location()}`);
  }

  /** The object's size, or undefined when it does not exist. */
  private async head(key: string): Promise<number | undefined> {
    const r = await this.send('HEAD', key);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.failure(r, `HEAD ${key}`);
    return Number(r.headers['content-length'] ?? 0);
  }

  async save(h: Handle, data: Uint8Array): Promise<void> {
    const key = this.key(h);
    const existing = await this.head(key);
    // A file named by its content's SHA-256 (all but config) that is there with another size is
    // the remains of a cut upload on a store that keeps partial objects (s3rver does; S3 never
    // does): the true file replaces it, so that a backup resumed after a cut link can finish.
    if (existing !== undefined && (existing === data.length || h.type === 'config' || sha256Hex(data) !== h.name)) {
      throw new AlreadyExistsError(`${key} already exists`);
    }
    const conditional: Record<string, string> = existing === undefined ? { 'if-none-match': '*' } : {};
    const storageClass: Record<string, string> = this.options.storageClass ? { 'x-amz-storage-class': this.options.storageClass } : {};
    const r = await this.send('PUT', key, {}, data, { 'content-type': 'application/octet-stream', ...conditional, ...storageClass });
    if (r.status === 412) throw new AlreadyExistsError(`${key} already exists`);
    if (r.status !== 200) throw this.failure(r, `PUT ${key}`);
  }

  async load(h: Handle, offset = 0, length = 0): Promise<Uint8Array> {
    const key = this.key(h);
    if (offset < 0 || length < 0) throw new RangeError(`Invalid range ${offset}+${length} of ${key}`);
    const wholeFile = offset === 0 && length === 0;
    const range: Record<string, string> = wholeFile ? {} : { range: length === 0 ? `bytes=${offset}-` : `bytes=${offset}-${offset + length - 1}` };
    const r = await this.send('GET', key, {}, undefined, range);
    if (r.status === 404) throw new NotFoundError(`${key} does not exist`);
    if (r.status === 416) throw new RangeError(`Range ${offset}+${length} is past the end of ${key}`);
    if (r.status !== 200 && r.status !== 206) throw this.failure(r, `GET ${key}`);
    if (!wholeFile && r.status === 200) {
      // A store that ignored the Range header: cut the range out of the whole object.
      if (offset + length > r.body.length) throw new RangeError(`Range ${offset}+${length} is past the end of ${key} (${r.body.length} bytes)`);
      return r.body.subarray(offset, length === 0 ? undefined : offset + length);
    }
    if (length !== 0 && r.body.length !== length) throw new RangeError(`Range ${offset}+${length} is past the end of ${key} (got ${r.body.length} bytes)`);
    return r.body;
  }

  async stat(h: Handle): Promise<FileInfo> {
    const key = this.key(h);
    const size = await this.head(key);
    if (size === undefined) throw new NotFoundError(`${key} does not exist`);
    return { name: h.name, size };
  }

  async remove(h: Handle): Promise<void> {
    const key = this.key(h);
    const r = await this.send('DELETE', key);
    if (r.status !== 204 && r.status !== 200 && r.status !== 404) throw this.failure(r, `DELETE ${key}`);
  }

  async list(type: Exclude<FileType, 'config'>): Promise<FileInfo[]> {
    const prefix = `${this.loc.prefix ? this.loc.prefix + '/' : ''}${type}/`;
    const out: FileInfo[] = [];
    const v1 = this.options.listObjectsV1 === true;
    let token: string | undefined;
    do {
      // ListObjectsV2 pages by continuation token; ListObjects (v1) by marker: NextMarker, or
      // the last key when the store sends none (S3 sends it only with a delimiter).
      const query: Record<string, string> = { ...(v1 ? {} : { 'list-type': '2' }), prefix, 'max-keys': String(this.options.pageSize ?? 1000) };
      if (token) query[v1 ? 'marker' : 'continuation-token'] = token;
      const r = await this.send('GET', undefined, query);
      if (r.status !== 200) throw this.failure(r, `Listing ${prefix}`);
      const page = parseListPage(r.body.toString('utf8'));
      for (const o of page.objects) {
        const rest = o.key.slice(prefix.length).split('/');
        // data/ holds data/<2 hex>/<id>; the other types hold <id> directly.
        const name = type === 'data' ? (rest.length === 2 ? rest[1] : undefined) : rest.length === 1 ? rest[0] : undefined;
        if (name) out.push({ name, size: o.size });
      }
      token = !page.truncated ? undefined : v1 ? page.nextMarker ?? page.objects.at(-1)?.key : page.nextToken;
      if (page.truncated && !token) throw new SyntaxError(`A truncated listing of ${prefix} without a ${v1 ? 'NextMarker or key' : 'NextContinuationToken'}`);
    } while (token);
    return out;
  }

  /** A save is one PUT: S3 keeps the whole object or nothing, so there is never a temporary file. */
  async listTemporary(): Promise<TempFileInfo[]> {
    return [];
  }

  async removeTemporary(f: TempFileInfo): Promise<void> {
    throw new RangeError(`An S3 repository has no temporary files ('${f.name}')`);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
