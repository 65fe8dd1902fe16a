#!/bin/sh
# /etc/hotstandby/pg-promote.sh (root:root, mode 0755): hotstandby's notify master hook, run as
# postgres when this node takes the virtual address. Promotes the local standby to primary; a
# primary stays as it is. Output goes to the event log (`hotstandby events`).
set -eu

# Debian / Ubuntu (postgresql-common): the cluster's version and name (`pg_lsclusters`).
PG_VERSION=15
PG_CLUSTER=main
# Elsewhere: the data directory for pg_ctl.
PGDATA=/var/lib/pgsql/15/data

if [ "$(psql -XAtq -d postgres -c 'select pg_is_in_recovery()')" != t ]; then
  echo "$(hostname): already the primary"
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" promote
else
  pg_ctl promote -w -t 25 -D "$PGDATA"
fi
echo "$(hostname): promoted to primary"
