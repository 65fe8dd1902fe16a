#!/bin/sh
# /etc/hotstandby/pg-role-check.sh PEER (root:root, mode 0755), run as postgres every 2 s.
# Exit 0 (healthy) when the local PostgreSQL may hold the virtual address:
#   - it accepts connections, and
#   - it is a standby (it can be promoted when it takes the address), or
#   - it is a primary, and the peer is not a primary on a later timeline.
# A promotion starts a new timeline, so "a primary on an older timeline than the peer's primary"
# is an old primary that came back after a failover: its data are behind and it must not get
# the address. This guard needs the peer's database to answer; see README.md for what it cannot
# cover (a cut link between the nodes).
set -u
peer=$1
export PGCONNECT_TIMEOUT=1

here() { psql -XAtq -d postgres -c "$1"; }
there() { psql -XAtq -h "$peer" -U hotstandby_check -d postgres -c "$1" 2>/dev/null; }
TIMELINE='select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)'

pg_isready -q || exit 1
role=$(here 'select pg_is_in_recovery()') || exit 1
[ "$role" = t ] && exit 0

# A primary. Only another primary on the peer can make it the wrong one.
[ "$(there 'select pg_is_in_recovery()')" = f ] || exit 0
mine=$(here "$TIMELINE") || exit 1
theirs=$(there "$TIMELINE") || exit 0
[ -n "$theirs" ] || exit 0
if [ $((0x$mine)) -gt $((0x$theirs)) ]; then
  exit 0
fi
echo "two primaries: this one on timeline $((0x$mine)), the peer's on $((0x$theirs)); not serving"
exit 1
