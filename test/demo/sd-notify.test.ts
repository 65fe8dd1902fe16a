/**
 * sd_notify without libsystemd: a temporary unix datagram socket (the native addon's generic
 * socket; Node's dgram has none) stands in for systemd's notification socket.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AF_UNIX, notifySocketAddress, sdNotify } from '../../src/daemon/sd-notify.js';
import { loadNative, type NativeBinding, type NativeSocket } from '../../src/net/native.js';

function nativeOrSkipReason(): NativeBinding | string {
  try {
    return loadNative();
  } catch (error) {
    return `needs the native addon: ${(error as Error).message}`;
  }
}

/** A bound unix datagram socket that collects what it receives. */
function listen(native: NativeBinding, address: string): { socket: NativeSocket; next: () => Promise<string> } {
  const socket = new native.Socket(AF_UNIX, native.constants.SOCK_DGRAM as number, 0);
  socket.bind(notifySocketAddress(address));
  const queue: string[] = [];
  const waiting: Array<(text: string) => void> = [];
  socket.startReceiving(
    (batch) => {
      for (const message of batch) {
        const text = message.data.toString('utf8');
        const waiter = waiting.shift();
        if (waiter) waiter(text);
        else queue.push(text);
      }
    },
    (error) => {
      throw error;
    },
  );
  const next = () => {
    const queued = queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Nothing arrived on the notification socket within 5 s')), 5000);
      waiting.push((text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  };
  return { socket, next };
}

test('sockaddr_un: a path ends in NUL; an abstract name starts with NUL and has none at the end', () => {
  const path = notifySocketAddress('/run/systemd/notify');
  assert.equal(path.length, 2 + '/run/systemd/notify'.length + 1);
  assert.equal(endianness() === 'LE' ? path.readUInt16LE(0) : path.readUInt16BE(0), AF_UNIX);
  assert.equal(path.subarray(2, -1).toString(), '/run/systemd/notify');
  assert.equal(path.at(-1), 0);

  const abstract = notifySocketAddress('@sd-test');
  assert.equal(abstract.length, 2 + 1 + 'sd-test'.length);
  assert.equal(abstract[2], 0);
  assert.equal(abstract.subarray(3).toString(), 'sd-test');
});

test('sockaddr_un: relative, empty, over-long and NUL-carrying names are refused', () => {
  assert.throws(() => notifySocketAddress('run/notify'), SyntaxError);
  assert.throws(() => notifySocketAddress('vsock:2:1234'), SyntaxError);
  assert.throws(() => notifySocketAddress('@'), RangeError);
  assert.throws(() => notifySocketAddress(`/${'x'.repeat(107)}`), RangeError);
  assert.doesNotThrow(() => notifySocketAddress(`/${'x'.repeat(106)}`));
  assert.throws(() => notifySocketAddress('/a\0b'), RangeError);
});

test('without NOTIFY_SOCKET nothing is sent and the answer is false', () => {
  const fake = {
    Socket: class {
      constructor() {
        throw new Error('must not open a socket');
      }
    },
    constants: {},
  } as unknown as NativeBinding;
  assert.equal(sdNotify('READY=1', fake, {}), false);
  assert.equal(sdNotify('READY=1', fake, { NOTIFY_SOCKET: '' }), false);
  assert.throws(() => sdNotify('', fake, {}), TypeError);
});

test('READY=1 and STATUS reach a socket named by path', async (t) => {
  const native = nativeOrSkipReason();
  if (typeof native === 'string') return t.skip(native);
  const dir = mkdtempSync(join(tmpdir(), 'hs-sdnotify-'));
  const path = join(dir, 'notify');
  const receiver = listen(native, path);
  try {
    assert.equal(sdNotify('READY=1\nSTATUS=2 instances, web MASTER', native, { NOTIFY_SOCKET: path }), true);
    assert.equal(await receiver.next(), 'READY=1\nSTATUS=2 instances, web MASTER');
    assert.equal(sdNotify('STOPPING=1', native, { NOTIFY_SOCKET: path }), true);
    assert.equal(await receiver.next(), 'STOPPING=1');
  } finally {
    receiver.socket.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an abstract NOTIFY_SOCKET (@name) works too', async (t) => {
  const native = nativeOrSkipReason();
  if (typeof native === 'string') return t.skip(native);
  const name = `@hotstandby-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const receiver = listen(native, name);
  try {
    assert.equal(sdNotify('READY=1', native, { NOTIFY_SOCKET: name }), true);
    assert.equal(await receiver.next(), 'READY=1');
  } finally {
    receiver.socket.close();
  }
});

test('a socket that is gone is an error naming it, not a silent false', (t) => {
  const native = nativeOrSkipReason();
  if (typeof native === 'string') return t.skip(native);
  const missing = join(tmpdir(), `hs-sdnotify-missing-${process.pid}-${randomBytes(4).toString('hex')}`);
  assert.throws(() => sdNotify('READY=1', native, { NOTIFY_SOCKET: missing }), (error: NodeJS.ErrnoException) => {
    assert.match(error.message, new RegExp(missing));
    assert.equal(error.code, 'ENOENT');
    return true;
  });
});
