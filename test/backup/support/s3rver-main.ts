/**
 * s3rver in a process of its own (so that a test can stop or kill it): argv DIR KEY CERT
 * PORT (0: any free one) [BUCKET…]; prints {"port":N} once listening. Run with --openssl-legacy-provider: s3rver 3.7.1
 * makes its ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
 */
import { readFileSync } from 'node:fs';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
}

const [directory, key, cert, port, ...buckets] = process.argv.slice(2);
const { default: S3rver } = (await import('s3rver' as string)) as { default: new (o: object) => S3rverInstance };
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  silent: true,
  directory,
  key: readFileSync(key!),
  cert: readFileSync(cert!),
  configureBuckets: buckets.map((name) => ({ name })),
});
const listening = await server.run();
process.stdout.write(`${JSON.stringify({ port: listening.port })}\n`);
