/** The event-stream reader the CLI uses: messages split across chunks, line endings, comments. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSseEvent } from '../../src/api/event-stream.js';
import { SseParser, type SseMessage } from '../../src/api/sse-parser.js';

function parse(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = [];
  const parser = new SseParser((m) => out.push(m));
  for (const chunk of chunks) parser.push(chunk);
  return out;
}

test('what the server writes reads back as the same event, however the bytes are split', () => {
  const event = { seq: 7, time: '2025-01-01T00:00:00.000Z', type: 'transition' as const, instance: 'web', message: 'a\nb "quoted"' };
  const text = `: hotstandby events\n\n${formatSseEvent(event, 'k1x')}: heartbeat\n\n${formatSseEvent({ ...event, seq: 8 }, 'k1x')}`;
  for (let cut = 0; cut <= text.length; cut += 3) {
    const messages = parse([text.slice(0, cut), text.slice(cut)]);
    assert.equal(messages.length, 2, `cut at ${cut}`);
    assert.equal(messages[0]?.id, 'k1x.7');
    assert.deepEqual(JSON.parse(messages[0]?.data ?? ''), event);
    assert.equal(messages[1]?.id, 'k1x.8');
  }
});

test('CRLF and CR line endings, multi-line data, event names, and a message without a blank line yet', () => {
  const messages = parse(['data: one\r\ndata: two\r\n\r', '\nevent: custom\rdata:three\r\rdata: pending']);
  assert.deepEqual(messages, [
    { id: undefined, event: 'message', data: 'one\ntwo' },
    { id: undefined, event: 'custom', data: 'three' },
  ]);
});
