import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactConfig } from '../../src/api/redact.js';
import type { HotstandbyConfig } from '../../src/config/model.js';

test('redactConfig() hides resource passwords (postgresql superuserPassword / replicationPassword)', () => {
  const config = { resources: [{ name: 'db', settings: { superuserPassword: 's3cret', replicationPassword: 'r3p', dataDir: '/var/lib/pg' } }] } as unknown as HotstandbyConfig;
  const out = JSON.stringify(redactConfig(config));
  assert.doesNotMatch(out, /s3cret|r3p/);
  assert.match(out, new RegExp(`"superuserPassword":"${REDACTED}"`));
  assert.match(out, /"dataDir":"\/var\/lib\/pg"/);
});
