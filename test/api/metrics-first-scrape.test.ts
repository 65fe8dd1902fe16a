/**
 * The first scrape of a running daemon loads no module. Loading prom-client's require tree is
 * synchronous (60 ms on a quiet machine, 800 ms seen on a loaded CI run): done at the first
 * scrape, it blocked a master's event loop long enough for its peer to take the role over. Run in
 * a fresh process, so that no other test has loaded prom-client already.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

const url = (relative: string): string => new URL(relative, import.meta.url).href;

const CHILD = `
import Module from 'node:module';
const { createControlApi } = await import(${JSON.stringify(url('../../src/api/control-api.js'))});
const { inject } = await import(${JSON.stringify(url('./inject.js'))});
const { populatedControl } = await import(${JSON.stringify(url('./fake-control.js'))});
const api = createControlApi(populatedControl());
const loaded = [];
const load = Module._load;
Module._load = function (request, ...rest) { loaded.push(request); return load.call(this, request, ...rest); };
const res = await inject(api, { url: '/metrics' });
Module._load = load;
process.stdout.write(JSON.stringify({ status: res.status, loaded, series: res.text.includes('hotstandby_instance_state') }));
`;

test('the first /metrics scrape loads no module on the running daemon (prom-client comes with the API)', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD], { timeout: 60_000 });
  const result = JSON.parse(stdout) as { status: number; loaded: string[]; series: boolean };
  assert.equal(result.status, 200);
  assert.ok(result.series, 'the scrape answered the daemon’s series');
  assert.deepEqual(result.loaded, [], 'modules loaded during the first scrape');
});
