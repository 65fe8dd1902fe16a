/**
 * bench/replicate-large.js --pin puts each tool's sending end on CPU 0 and its receiving end on
 * CPU 1 through onCpu: the command, and the children it starts (rsync's daemon forks one per
 * transfer), must really run only there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { onCpu } from '../../bench/lib/cpu-pin.js';

/** The CPUs a process may use, from its /proc status text (`Cpus_allowed_list`, e.g. "0-1"). */
function allowed(status: string): string {
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? '';
}

const twoCpus = /^\d+-\d+$|,/.test(allowed(readFileSync('/proc/self/status', 'utf8')));

test('a command put on a CPU runs there, and so do the children it starts', { skip: !twoCpus && 'needs two CPUs' }, () => {
  const [command, ...args] = onCpu(1, ['sh', '-c', 'cat /proc/self/status']);
  const result = spawnSync(command!, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(allowed(result.stdout), '1');
});

test('without a CPU the command is left as it is', () => {
  assert.deepEqual(onCpu(undefined, ['rsync', '-a']), ['rsync', '-a']);
});
