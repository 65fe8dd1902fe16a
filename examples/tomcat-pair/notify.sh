#!/bin/sh
# /etc/hotstandby/notify.sh (root:root, mode 0755): called on every state change as
#   notify.sh INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <priority>
# (keepalived's `notify` arguments). Its output lands in hotstandby's event log and journal.
# Hooks must be quick (they are killed after 30 s) and must not block: send mail, page someone,
# warm a cache; do not restart the service being checked from here.
set -eu
kind=$1 name=$2 state=$3 priority=${4:-}

echo "$(hostname): $kind $name is now $state (priority $priority)"

case $state in
  MASTER)
    # This node now answers on the virtual address; e.g. tell the monitoring system:
    # curl -fsS -m 5 -d "app on $(hostname)" https://monitoring.example.com/hooks/failover || true
    ;;
  FAULT)
    # Tomcat (or the Java process) failed here and the peer has the address.
    ;;
esac
