/**
 * Where an S3 request goes, by restic's `s3.bucket-lookup` (minio-go's BucketLookupType):
 * - `path`: path-style, `https://host/bucket/key` (what S3-compatible servers all accept);
 * - `dns`: virtual-hosted-style, `https://bucket.host/key` (Amazon S3 User Guide, "Virtual
 *   hosting of buckets"; the name `bucket.host` must resolve to the service);
 * - `auto` (the default): virtual-hosted for Amazon S3's and Google Cloud Storage's endpoints
 *   (`s3.amazonaws.com`, `s3.<region>.amazonaws.com`, `s3-<region>.amazonaws.com`, `storage.googleapis.com`)
 *   when the bucket name is a DNS label (over HTTPS without dots: a dotted name would not match
 *   the wildcard certificate), path-style for every other server, as minio-go decides.
 */
export type BucketLookup = 'auto' | 'dns' | 'path';

export interface RequestTarget {
  /** The host to connect to and to name in the Host header (without the port). */
  host: string;
  /** The request path, not yet URI-encoded: the bucket's part, then the key's. */
  bucketPath: string;
}

const VIRTUAL_HOST_SERVICES = [/^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com(?:\.cn)?$/, /^s3\.dualstack\.[a-z0-9-]+\.amazonaws\.com$/, /^storage\.googleapis\.com$/];

/** Whether `auto` chooses virtual-hosted-style requests for this endpoint and bucket. */
export function virtualHosted(host: string, bucket: string, https: boolean, lookup: BucketLookup): boolean {
  if (lookup !== 'auto') return lookup === 'dns';
  if (!VIRTUAL_HOST_SERVICES.some((re) => re.test(host.toLowerCase()))) return false;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return false;
  return !(https && bucket.includes('.'));
}

/** The host and the path prefix (`/bucket` or '') of a request for `bucket` at `host`. */
export function requestTarget(host: string, bucket: string, https: boolean, lookup: BucketLookup): RequestTarget {
  return virtualHosted(host, bucket, https, lookup) ? { host: `${bucket}.${host}`, bucketPath: '' } : { host, bucketPath: `/${bucket}` };
}
