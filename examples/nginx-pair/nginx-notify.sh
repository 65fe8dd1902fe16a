#!/bin/sh
# /etc/hotstandby/nginx-notify.sh (root:root, mode 0755): `nginx-notify.sh master <instance>`,
# run when this node takes over a virtual address.
#
# nginx listening on 0.0.0.0 serves a new address at once. When it binds to the virtual
# addresses themselves (`listen 192.0.2.10:80`), the kernel must allow binding to an address the
# node does not have yet: set net.ipv4.ip_nonlocal_bind=1 on both nodes (sysctl.d); then no
# reload is needed here either.
set -eu
echo "$(hostname): took over $2"
