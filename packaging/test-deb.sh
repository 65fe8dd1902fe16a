#!/usr/bin/env bash
# CI: installs the built .deb on this machine with dpkg -i, runs the installed program
# (--version, check-config on the shipped sample, every shipped module importable), then removes
# and purges it and checks nothing is left. Root only.
#
#   packaging/test-deb.sh build/deb/hotstandby_*_amd64.deb
set -euo pipefail
deb=${1:?usage: test-deb.sh FILE.deb}
[ "$(id -u)" = 0 ] || { echo "test-deb: needs root (dpkg -i)" >&2; exit 77; }
if dpkg -s hotstandby >/dev/null 2>&1; then
  echo "test-deb: hotstandby is already installed here; not touching it" >&2
  exit 1
fi

# The package depends on nodejs (>= 20). Where node is the NodeSource (or any dpkg) package of
# that version, dpkg checks the dependency for real. Where node came from a tarball or nvm, dpkg
# cannot know about it: the dependency is ignored for this one install, after checking by hand
# that the node on PATH is 20 or later, which is what the dependency stands for. (A fake nodejs
# package made with equivs would satisfy dpkg too, but it would lie to apt on this machine from
# then on.)
ignore=()
node_version=$(dpkg-query -W -f='${Version}' nodejs 2>/dev/null || true)
if [ -n "$node_version" ] && dpkg --compare-versions "$node_version" ge 20; then
  echo "test-deb: nodejs $node_version is a dpkg package: dependencies checked by dpkg"
else
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || { echo "test-deb: node $(node --version) is older than 20" >&2; exit 1; }
  echo "test-deb: node $(node --version) on PATH is not a dpkg package ($(command -v node)): --ignore-depends=nodejs for this install only"
  ignore=(--ignore-depends=nodejs)
fi

dpkg -i "${ignore[@]}" "$deb"
trap 'dpkg --purge hotstandby >/dev/null 2>&1 || true' EXIT

hotstandby --version
hotstandby --version | grep -q "^hotstandby $(dpkg-query -W -f='${Version}' hotstandby | sed 's/-[^-]*$//') "
hotstandby check-config /usr/share/doc/hotstandby/examples/hotstandby.yaml
for example in /usr/share/doc/hotstandby/examples/*/keepalived-a.conf; do
  hotstandby check-config --keepalived "$example" >/dev/null
done
# Every shipped module loads (a missing runtime module would only show when that code runs).
(cd /usr/lib/hotstandby && node --input-type=module -e '
  import { readdirSync } from "node:fs";
  import { join } from "node:path";
  const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith(".js") ? [join(d, e.name)] : []);
  // Entry points of worker threads / processes (named *-worker.js / *-main.js) run on import;
  // they are loaded by the tests that start them.
  const entry = (f) => f.endsWith("-worker.js") || f.endsWith("-main.js");
  const files = walk("dist/src").filter((f) => !f.includes("/ui/browser/") && !entry(f));
  for (const f of files) await import("/usr/lib/hotstandby/" + f);
  const zstd = await import("zstd-napi");
  if (zstd.decompress(zstd.compress(Buffer.from("ok"))).toString() !== "ok") throw new Error("zstd round trip");
  console.log(`test-deb: ${files.length} modules and the addons load`);
')
man -w hotstandby >/dev/null && man -w hotstandby.yaml >/dev/null
if command -v systemd-analyze >/dev/null; then systemd-analyze verify /lib/systemd/system/hotstandby.service; fi
[ ! -e /etc/hotstandby/hotstandby.yaml ] || { echo "test-deb: the package must not install a live configuration" >&2; exit 1; }

dpkg --remove hotstandby
[ ! -e /usr/bin/hotstandby ] && [ ! -e /usr/lib/hotstandby ] || { echo "test-deb: files left after remove" >&2; exit 1; }
dpkg --purge hotstandby
trap - EXIT
! dpkg -s hotstandby >/dev/null 2>&1 || { echo "test-deb: still known to dpkg after purge" >&2; exit 1; }
[ ! -e /var/lib/hotstandby ] || { echo "test-deb: /var/lib/hotstandby left after purge" >&2; exit 1; }
echo "test-deb: installed, ran, removed and purged cleanly"
