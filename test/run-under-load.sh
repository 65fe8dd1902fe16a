#!/bin/sh
# The whole suite with every core kept busy by a busy loop (as a shared CI machine or a parallel
# build would): a test that waits on time instead of conditions fails here first.
# Usage: npm run test:loaded   (BUSY_LOOPS=N for another number of loops than cores)
loops=${BUSY_LOOPS:-$(nproc)}
pids=
for _ in $(seq "$loops"); do
  node -e 'for (;;);' &
  pids="$pids $!"
done
trap 'kill $pids 2>/dev/null' EXIT INT TERM
echo "test:loaded: $loops busy loop(s) running (pids$pids)"
npm test
