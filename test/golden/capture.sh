#!/usr/bin/env bash
# Records golden VRRP captures from the real keepalived into test/data/.
#
# Two network namespaces joined by a veth pair; keepalived runs as MASTER in one, tcpdump listens
# in the other. keepalived is stopped with SIGTERM so its priority-0 advert (RFC 3768 §6.4.3 /
# RFC 5798 §6.4.3 "Shutdown") is in every file. Everything lives inside the namespaces
# (10.99.0.0/24, fd00:99::/64) and is removed on exit, also on failure.
#
# usage: sudo test/golden/capture.sh [OUTPUT_DIR]   (default: test/data next to this script)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out_dir=${1:-$here/../data}
keepalived=${KEEPALIVED:-/usr/sbin/keepalived}

if [[ $(id -u) -ne 0 ]]; then
  echo "capture.sh: needs root (network namespaces, keepalived, tcpdump)" >&2
  exit 77
fi
for tool in ip tcpdump "$keepalived"; do
  command -v "$tool" >/dev/null || { echo "capture.sh: '$tool' not found" >&2; exit 69; }
done
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

ns_master=hs-golden-m-$$
ns_listen=hs-golden-l-$$
work=$(mktemp -d /tmp/hs-golden.XXXXXX)
keepalived_pid=
tcpdump_pid=

cleanup() {
  local status=$?
  [[ -n $keepalived_pid ]] && kill -TERM "$keepalived_pid" 2>/dev/null && wait "$keepalived_pid" 2>/dev/null
  [[ -n $tcpdump_pid ]] && kill -INT "$tcpdump_pid" 2>/dev/null && wait "$tcpdump_pid" 2>/dev/null
  ip netns del "$ns_master" 2>/dev/null || true
  ip netns del "$ns_listen" 2>/dev/null || true
  if [[ $status -ne 0 ]]; then
    echo "capture.sh: failed; logs follow" >&2
    tail -n 40 "$work"/*.log >&2 2>/dev/null || true
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Polls a shell condition every 0.1 s until it holds or the deadline (seconds) passes;
# gives up at once when keepalived, while running, has died.
wait_for() {
  local deadline=$1 description=$2
  shift 2
  local tries=$((deadline * 10))
  while ! "$@" 2>/dev/null; do
    if [[ -n $keepalived_pid ]] && ! kill -0 "$keepalived_pid" 2>/dev/null; then
      echo "capture.sh: keepalived exited while waiting for $description" >&2
      return 1
    fi
    tries=$((tries - 1))
    if [[ $tries -le 0 ]]; then
      echo "capture.sh: timed out after ${deadline}s waiting for $description" >&2
      return 1
    fi
    sleep 0.1
  done
}

setup_namespaces() {
  ip netns add "$ns_master"
  ip netns add "$ns_listen"
  ip link add vg-m netns "$ns_master" type veth peer name vg-l netns "$ns_listen"
  local ns dev addr4 addr6
  for ns in "$ns_master" "$ns_listen"; do
    if [[ $ns == "$ns_master" ]]; then dev=vg-m addr4=10.99.0.1 addr6=fd00:99::1
    else dev=vg-l addr4=10.99.0.2 addr6=fd00:99::2; fi
    # No duplicate address detection: the link-local source must be usable at once.
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.default.accept_dad=0" "net.ipv6.conf.$dev.accept_dad=0"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr4/24" dev "$dev"
    ip -n "$ns" addr add "$addr6/64" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
  done
  wait_for 10 "the veth link-local address" \
    bash -c "ip -n $ns_master -6 addr show dev vg-m scope link | grep -q 'inet6 fe80::' &&
             ! ip -n $ns_master -6 addr show dev vg-m | grep -q tentative"
}

# Counts the packets in a capture file written so far.
packet_count() {
  tcpdump -r "$1" 2>/dev/null | wc -l
}

# capture NAME FILTER MIN_ADVERTS TCPDUMP_OPTIONS... : runs keepalived with $work/NAME.conf,
# waits for MIN_ADVERTS adverts, stops keepalived, checks the priority-0 advert came.
capture() {
  local name=$1 filter=$2 min_adverts=$3
  shift 3
  local pcap=$work/$name.pcap
  ip netns exec "$ns_listen" tcpdump -i vg-l -U -n "$@" -w "$pcap" "$filter" 2>"$work/$name-tcpdump.log" &
  tcpdump_pid=$!
  wait_for 10 "tcpdump to listen" grep -q 'listening on' "$work/$name-tcpdump.log"

  ip netns exec "$ns_master" "$keepalived" -n -l -D -P -f "$work/$name.conf" \
    -p "$work/$name-keepalived.pid" -r "$work/$name-vrrp.pid" -c "$work/$name-checkers.pid" \
    >"$work/$name-keepalived.log" 2>&1 &
  keepalived_pid=$!
  wait_for 30 "$min_adverts adverts from keepalived" bash -c "[[ \$(tcpdump -r '$pcap' 2>/dev/null | wc -l) -ge $min_adverts ]]"

  kill -TERM "$keepalived_pid"
  wait "$keepalived_pid" || true
  keepalived_pid=
  wait_for 10 "the priority-0 advert" bash -c "tcpdump -r '$pcap' -v 2>/dev/null | grep -q ', prio 0,'"
  kill -INT "$tcpdump_pid"
  wait "$tcpdump_pid" || true
  tcpdump_pid=

  cp "$pcap" "$out_dir/$name.pcap"
  echo "capture.sh: $name.pcap: $(packet_count "$pcap") packets"
}

setup_namespaces

# v2, simple-text password longer than the 8 bytes that go on the wire (RFC 3768 §5.3.6.1).
cat >"$work/keepalived-v2-pass.conf" <<'EOF'
global_defs {
  router_id hs_golden_v2
  vrrp_version 2
}
vrrp_instance golden_v2 {
  state MASTER
  interface vg-m
  virtual_router_id 51
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret-pass
  }
  virtual_ipaddress {
    10.99.0.100/24
    10.99.0.101/24
  }
}
EOF
capture keepalived-v2-pass 'proto 112' 4

# v3 over IPv4 with a sub-second interval (RFC 5798 §5.2.5: centiseconds); nanosecond pcap.
cat >"$work/keepalived-v3-ipv4.conf" <<'EOF'
global_defs {
  router_id hs_golden_v3_4
}
vrrp_instance golden_v3_ipv4 {
  version 3
  state MASTER
  interface vg-m
  virtual_router_id 52
  priority 200
  advert_int 0.1
  virtual_ipaddress {
    10.99.0.110/24
  }
}
EOF
capture keepalived-v3-ipv4 'proto 112' 20 --time-stamp-precision=nano

# v3 over IPv6: sent from the link-local address to ff02::12 (RFC 5798 §5.1.2.1-2).
cat >"$work/keepalived-v3-ipv6.conf" <<'EOF'
global_defs {
  router_id hs_golden_v3_6
}
vrrp_instance golden_v3_ipv6 {
  version 3
  state MASTER
  interface vg-m
  virtual_router_id 53
  priority 120
  advert_int 1
  virtual_ipaddress {
    fd00:99::100/64
    fd00:99::101/64
  }
}
EOF
capture keepalived-v3-ipv6 'ip6 proto 112' 4

"$keepalived" -v 2>&1 | head -n 1
