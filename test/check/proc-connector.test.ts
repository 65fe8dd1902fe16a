import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeProcEvents,
  encodeMcastOp,
  encodeProcEventDatagram,
  PROC_CN_MCAST_LISTEN,
  PROC_EVENT_COMM,
  PROC_EVENT_EXEC,
  PROC_EVENT_EXIT,
  PROC_EVENT_FORK,
  PROC_EVENT_NONE,
} from '../../src/check/proc-connector.js';
import { LE, u32 } from './helpers.js';

test('encodeMcastOp: nlmsghdr + cn_msg(1/1, ack = token, len 4) + the op, 40 bytes', () => {
  const msg = encodeMcastOp(PROC_CN_MCAST_LISTEN, 0x1234);
  assert.equal(msg.length, 40);
  // nlmsghdr: len 40, type NLMSG_DONE (3), flags 0, seq 0, pid 0
  assert.deepEqual(msg.subarray(0, 16), Buffer.concat([u32(40), LE ? Buffer.from([3, 0, 0, 0]) : Buffer.from([0, 3, 0, 0]), u32(0, 0)]));
  // cn_msg: idx 1, val 1, seq 0, ack 0x1234, len 4, flags 0
  assert.deepEqual(msg.subarray(16, 32), u32(1, 1, 0, 0x1234));
  assert.deepEqual(msg.subarray(32, 36), LE ? Buffer.from([4, 0, 0, 0]) : Buffer.from([0, 4, 0, 0]));
  assert.deepEqual(msg.subarray(36, 40), u32(1));
});

test('decodeProcEvents: fork, exec, comm, exit and ack', () => {
  const comm = Buffer.concat([u32(77, 77), Buffer.from('nginx\0\0\0\0\0\0\0\0\0\0\0')]);
  const datagrams = [
    encodeProcEventDatagram(PROC_EVENT_FORK, u32(10, 10, 11, 11)),
    encodeProcEventDatagram(PROC_EVENT_EXEC, u32(11, 11)),
    encodeProcEventDatagram(PROC_EVENT_COMM, comm),
    encodeProcEventDatagram(PROC_EVENT_EXIT, u32(11, 11, 9, 17, 10, 10)),
    encodeProcEventDatagram(PROC_EVENT_NONE, u32(0), { ack: 43 }),
    encodeProcEventDatagram(0x4, u32(1, 1, 0, 0)), // uid change
  ];
  const events = datagrams.flatMap((d) => decodeProcEvents(d).events);
  assert.deepEqual(events, [
    { type: 'fork', parentPid: 10, parentTgid: 10, childPid: 11, childTgid: 11 },
    { type: 'exec', pid: 11, tgid: 11 },
    { type: 'comm', pid: 77, tgid: 77, comm: 'nginx' },
    { type: 'exit', pid: 11, tgid: 11, exitCode: 9, exitSignal: 17 },
    { type: 'ack', err: 0, ack: 43 },
    { type: 'other', what: 4 },
  ]);
});

test('decodeProcEvents: short, foreign and truncated input is skipped with a reason, never thrown', () => {
  assert.deepEqual(decodeProcEvents(Buffer.alloc(0)), { events: [] });
  assert.match(decodeProcEvents(Buffer.alloc(7)).malformed ?? '', /shorter than a netlink header/);
  const short = encodeProcEventDatagram(PROC_EVENT_EXIT, u32(1));
  assert.match(decodeProcEvents(short).malformed ?? '', /exit event of 20 bytes is too short/);
  const foreign = encodeProcEventDatagram(PROC_EVENT_EXEC, u32(1, 1));
  foreign.writeUInt8(9, 16); // cn_msg idx 9
  assert.match(decodeProcEvents(foreign).malformed ?? '', /not a process event/);
  for (let i = 0; i < 2000; i++) {
    const junk = Buffer.from(Array.from({ length: (i % 90) + 1 }, (_, j) => (i * 31 + j * 7) & 0xff));
    decodeProcEvents(junk);
  }
});
