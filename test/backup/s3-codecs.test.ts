/**
 * AWS Signature Version 4 against the worked examples of the AWS documentation ("Signature
 * Calculations for the Authorization Header: Transferring Payload in a Single Chunk", Amazon S3
 * API Reference), the ListObjectsV2 parser, the repository location parser and restic's extended options (-o).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExtendedOptions } from '../../src/backup/backend/extended-options.js';
import { backendFromLocation, parseLocation } from '../../src/backup/backend/from-location.js';
import { parseListPage } from '../../src/backup/backend/s3/list-xml.js';
import { requestTarget } from '../../src/backup/backend/s3/target.js';
import { EMPTY_SHA256, signRequest, uriEncode } from '../../src/backup/backend/s3/sigv4.js';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const time = new Date(Date.UTC(2013, 4, 24));
const signatureOf = (auth: string | undefined) => /Signature=([0-9a-f]{64})$/.exec(auth ?? '')?.[1];

test('signRequest() gives AWS\'s signature for the GET Object example (Range bytes=0-9)', () => {
  const h = signRequest({ method: 'GET', path: '/test.txt', query: {}, headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' }, payloadHash: EMPTY_SHA256, region: 'us-east-1', time, credentials });
  assert.equal(h['x-amz-date'], '20130524T000000Z');
  assert.match(h.authorization!, /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20130524\/us-east-1\/s3\/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, /);
  assert.equal(signatureOf(h.authorization), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
});

test('signRequest() gives AWS\'s signature for the GET Bucket (list objects) example (query sorted and encoded)', () => {
  const h = signRequest({ method: 'GET', path: '/', query: { prefix: 'J', 'max-keys': '2' }, headers: { host: 'examplebucket.s3.amazonaws.com' }, payloadHash: EMPTY_SHA256, region: 'us-east-1', time, credentials });
  assert.equal(signatureOf(h.authorization), '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
});

test('uriEncode() keeps only unreserved characters (and / in paths)', () => {
  assert.equal(uriEncode('a b/c~d*é'), 'a%20b%2Fc~d%2A%C3%A9');
  assert.equal(uriEncode('x/y z', true), 'x/y%20z');
});

test('parseListPage() reads keys, sizes, truncation and the continuation token; rejects other documents', () => {
  const xml = `<?xml version="1.0"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>
    <Contents><Key>p/data/ab/ab&amp;1</Key><Size>12</Size></Contents><Contents><Key>p/keys/k</Key><Size>0</Size></Contents>
    <IsTruncated>true</IsTruncated><NextContinuationToken>t+/=</NextContinuationToken></ListBucketResult>`;
  assert.deepEqual(parseListPage(xml), { objects: [{ key: 'p/data/ab/ab&1', size: 12 }, { key: 'p/keys/k', size: 0 }], truncated: true, nextToken: 't+/=' });
  assert.deepEqual(parseListPage('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>'), { objects: [], truncated: false });
  assert.throws(() => parseListPage('<Error><Code>AccessDenied</Code></Error>'), SyntaxError);
  assert.throws(() => parseListPage('<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>'), SyntaxError);
  // A truncated page without a way on (token, marker or key) is S3Backend.list()'s error: which it needs depends on the listing's version.
});

test('parseLocation() reads restic\'s location forms', () => {
  assert.deepEqual(parseLocation('/srv/backup'), { kind: 'local', path: '/srv/backup' });
  assert.deepEqual(parseLocation('local:/srv/b'), { kind: 'local', path: '/srv/b' });
  assert.deepEqual(parseLocation('sftp:bk@nas:/srv/repo'), { kind: 'sftp', sftp: { user: 'bk', host: 'nas', path: '/srv/repo' } });
  assert.deepEqual(parseLocation('sftp:nas:repo'), { kind: 'sftp', sftp: { host: 'nas', path: 'repo' } });
  assert.deepEqual(parseLocation('sftp://bk@nas:2222//srv/repo'), { kind: 'sftp', sftp: { user: 'bk', host: 'nas', port: 2222, path: '/srv/repo' } });
  assert.deepEqual(parseLocation('sftp://nas/repo'), { kind: 'sftp', sftp: { host: 'nas', path: 'repo' } });
  assert.deepEqual(parseLocation('s3:http://127.0.0.1:9000/bkt/a/b/'), { kind: 's3', s3: { protocol: 'http:', host: '127.0.0.1', port: 9000, bucket: 'bkt', prefix: 'a/b' } });
  assert.deepEqual(parseLocation('s3:s3.amazonaws.com/bkt'), { kind: 's3', s3: { protocol: 'https:', host: 's3.amazonaws.com', bucket: 'bkt', prefix: '' } });
  assert.throws(() => parseLocation('s3:http://host'), /Invalid S3 location/);
  assert.throws(() => parseLocation('sftp://host:99999//x'), /Invalid port/);
  assert.throws(() => parseLocation('rest:http://x/'), /Unsupported repository location 'rest:http:\/\/x\/'/);
  assert.throws(() => parseLocation(''), /empty/);
});

test("parseExtendedOptions() reads restic's -o KEY=VALUE: the last of a key wins, s3.region reaches the S3 backend before AWS_DEFAULT_REGION", () => {
  assert.deepEqual(parseExtendedOptions([]), {});
  assert.deepEqual(parseExtendedOptions(['sftp.command=ssh a -s sftp', 'sftp.command=ssh -p 2222 b -s sftp', 's3.region=eu-west-1']), { sftpCommand: 'ssh -p 2222 b -s sftp', s3Region: 'eu-west-1' });
  assert.deepEqual(parseExtendedOptions(['sftp.command=ssh -o ProxyJump=j=k host -s sftp']), { sftpCommand: 'ssh -o ProxyJump=j=k host -s sftp' }, 'only the first = splits');
  assert.throws(() => parseExtendedOptions(['s3.region=EU West']), /option s3\.region 'EU West': expected a region name/);
  assert.throws(() => parseExtendedOptions(['=x']), /invalid option '=x': expected key=value/);
  const env = { AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's', AWS_DEFAULT_REGION: 'us-west-2' };
  const regionOf = (options: object) => (backendFromLocation('s3:https://h/bucket', env, options) as unknown as { region: string }).region;
  assert.equal(regionOf({}), 'us-west-2');
  assert.equal(regionOf(parseExtendedOptions(['s3.region=eu-central-1'])), 'eu-central-1');
});

test("parseExtendedOptions() takes restic 0.14's connections, layout and S3 options; bad values and layouts other than default are errors naming the option", () => {
  assert.deepEqual(
    parseExtendedOptions(['local.connections=1', 'sftp.connections=3', 's3.connections=4', 'local.layout=default', 'sftp.layout=default', 's3.layout=default', 's3.storage-class=STANDARD_IA', 's3.list-objects-v1=true', 's3.bucket-lookup=dns']),
    { localConnections: 1, sftpConnections: 3, s3Connections: 4, s3StorageClass: 'STANDARD_IA', s3ListObjectsV1: true, s3BucketLookup: 'dns' },
  );
  assert.deepEqual(parseExtendedOptions(['s3.list-objects-v1=F']), { s3ListObjectsV1: false }, "Go's ParseBool");
  const bad: [string, RegExp][] = [
    ['local.connections=0', /option local\.connections '0': expected a whole number of connections, at least 1/],
    ['s3.connections=two', /option s3\.connections 'two': expected a whole number/],
    ['s3.layout=s3legacy', /option s3\.layout 's3legacy': hotstandby supports only the default layout \(restic's s3legacy layout is not\)/],
    ['sftp.layout=flat', /option sftp\.layout 'flat': unknown layout/],
    ['s3.bucket-lookup=vhost', /option s3\.bucket-lookup 'vhost': expected auto, dns or path/],
    ['s3.list-objects-v1=yes', /option s3\.list-objects-v1 'yes': expected true or false/],
    ['s3.storage-class=standard ia', /option s3\.storage-class 'standard ia': expected an S3 storage class/],
    ['rest.connections=2', /option rest\.connections is not supported by hotstandby/],
    ['s3.conections=2', /option s3\.conections is not known \(supported: .*s3\.connections/],
  ];
  for (const [item, message] of bad) assert.throws(() => parseExtendedOptions([item]), message, item);
});

test('requestTarget(): s3.bucket-lookup path, dns, and auto (virtual-hosted only for Amazon S3 and Google endpoints and DNS-safe bucket names)', () => {
  assert.deepEqual(requestTarget('127.0.0.1', 'repos', true, 'path'), { host: '127.0.0.1', bucketPath: '/repos' });
  assert.deepEqual(requestTarget('minio.example', 'repos', true, 'dns'), { host: 'repos.minio.example', bucketPath: '' });
  assert.deepEqual(requestTarget('minio.example', 'repos', true, 'auto'), { host: 'minio.example', bucketPath: '/repos' });
  assert.deepEqual(requestTarget('s3.amazonaws.com', 'repos', true, 'auto'), { host: 'repos.s3.amazonaws.com', bucketPath: '' });
  assert.deepEqual(requestTarget('s3.eu-west-1.amazonaws.com', 'repos', true, 'auto'), { host: 'repos.s3.eu-west-1.amazonaws.com', bucketPath: '' });
  assert.deepEqual(requestTarget('s3.amazonaws.com', 'my.repos', true, 'auto'), { host: 's3.amazonaws.com', bucketPath: '/my.repos' }, 'a dotted name over HTTPS would not match *.s3.amazonaws.com');
  assert.deepEqual(requestTarget('s3.amazonaws.com', 'my.repos', false, 'auto'), { host: 'my.repos.s3.amazonaws.com', bucketPath: '' });
  assert.deepEqual(requestTarget('storage.googleapis.com', 'Repos_1', true, 'auto'), { host: 'storage.googleapis.com', bucketPath: '/Repos_1' }, 'not a DNS name');
  assert.deepEqual(requestTarget('s3.amazonaws.com', 'repos', true, 'path'), { host: 's3.amazonaws.com', bucketPath: '/repos' });
});

test('parseListPage() reads a ListObjects (version 1) page: NextMarker when the store sends one', () => {
  const v1 = '<ListBucketResult><IsTruncated>true</IsTruncated><Marker></Marker><NextMarker>p/index/b</NextMarker><Contents><Key>p/index/a</Key><Size>3</Size></Contents><Contents><Key>p/index/b</Key><Size>4</Size></Contents></ListBucketResult>';
  assert.deepEqual(parseListPage(v1), { objects: [{ key: 'p/index/a', size: 3 }, { key: 'p/index/b', size: 4 }], truncated: true, nextMarker: 'p/index/b' });
});
