#!/usr/bin/env bash
# Builds the Debian package from a built tree (`npm ci` first): build/deb/hotstandby_V-1_amd64.deb.
#
#   packaging/build-deb.sh [--lintian]      (npm run deb)
#
# Layout: the program in /usr/lib/hotstandby (dist/src, the native addon, the Node modules it
# loads at run time: packaging/runtime-modules.mjs), /usr/bin/hotstandby a symlink to its
# launcher, the hardened unit in /lib/systemd/system (paths rewritten from /opt/hotstandby), man
# pages, bash completion, docs and examples in /usr/share (a sample config, never a live one in
# /etc). Architecture is this machine's (amd64 on CI): the addons are native.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

version=$(node -p "require('./package.json').version")
debian_version="${version}-1"
arch=$(dpkg --print-architecture)
out="${DEB_OUT_DIR:-$root/build/deb}"

for built in dist/src/cli/main.js dist/src/ui/browser/dashboard.js build/Release/hsnet.node node_modules/zstd-napi/build/Release/binding.node; do
  [ -e "$built" ] || { echo "build-deb: $built is missing: run \`npm ci\` (or npm run build) first" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/hotstandby_${debian_version}_${arch}"
lib="$pkg/usr/lib/hotstandby"
doc="$pkg/usr/share/doc/hotstandby"
umask 022

# ── the program ──
install -d "$lib/bin" "$lib/build/Release" "$lib/dist"
install -m 644 package.json "$lib/"
install -m 755 bin/hotstandby "$lib/bin/"
install -m 644 build/Release/hsnet.node "$lib/build/Release/"
# Compiled JavaScript without source maps (they point at src/, which is not shipped).
cp -a dist/src "$lib/dist/"
find "$lib/dist" -type f ! -name '*.js' -delete
# The docs generator (npm run docs:config) is a developer tool.
rm -rf "$lib/dist/src/config/docs"
for module in $(node packaging/runtime-modules.mjs); do
  install -d "$lib/$module"
  cp -a "$module/." "$lib/$module/"
done
# Of the native module only what loads at run time: binding.js, dist/ and the built addon (not
# the bundled zstd sources, the object files, or the C++ source).
zstd="$lib/node_modules/zstd-napi"
rm -rf "$zstd/deps" "$zstd/src" "$zstd/binding.gyp" "$zstd/build_flags.gypi" "$zstd/node_modules"
find "$zstd/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
find "$zstd/build/Release" -mindepth 1 ! -name binding.node -exec rm -rf {} +
# Licences are in the package's copyright file, notices in /usr/share/doc; docs, maps, types
# and test files are not needed to run.
install -d "$doc"
install -m 644 "$zstd/NOTICE" "$doc/NOTICE.zstd-napi"
find "$lib/node_modules" -type f \( -iname 'LICENSE*' -o -iname 'LICENCE*' -o -iname 'NOTICE*' -o -iname '*.md' -o -iname '*.markdown' -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '.*' \) -delete
# Examples of the modules, and yaml's command line tool (the daemon uses its library only).
find "$lib/node_modules" -depth -type d \( -name example -o -name examples \) -exec rm -rf {} +
find "$lib/node_modules" -type f -name '*.html' -delete
rm -f "$lib/node_modules/yaml/bin.mjs"
find "$lib" -type d -empty -delete
find "$lib" -type f -name '*.node' -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +
find "$lib" -type f -exec chmod 644 {} +
chmod 755 "$lib/bin/hotstandby"
install -d "$pkg/usr/bin"
ln -s ../lib/hotstandby/bin/hotstandby "$pkg/usr/bin/hotstandby"

# ── systemd unit ──
install -d "$pkg/lib/systemd/system"
sed -e 's#/opt/hotstandby/bin/hotstandby#/usr/bin/hotstandby#g' \
    -e 's#^Documentation=.*#Documentation=man:hotstandby(8) man:hotstandby.yaml(5)#' \
    -e 's#^\# /etc/systemd/system/hotstandby.service; see docs/operations.md.#\# /lib/systemd/system/hotstandby.service (Debian package); see hotstandby(8).#' \
    packaging/hotstandby.service > "$pkg/lib/systemd/system/hotstandby.service"
chmod 644 "$pkg/lib/systemd/system/hotstandby.service"

# ── man pages, completion ──
install -d "$pkg/usr/share/man/man8" "$pkg/usr/share/man/man5" "$pkg/usr/share/bash-completion/completions"
gzip -9n < packaging/man/hotstandby.8 > "$pkg/usr/share/man/man8/hotstandby.8.gz"
gzip -9n < packaging/man/hotstandby.yaml.5 > "$pkg/usr/share/man/man5/hotstandby.yaml.5.gz"
install -m 644 packaging/hotstandby.bash-completion "$pkg/usr/share/bash-completion/completions/hotstandby"

# ── documentation and examples ──
install -m 644 packaging/debian/copyright packaging/debian/README.Debian "$doc/"
gzip -9n < packaging/debian/changelog > "$doc/changelog.Debian.gz"
for page in README.md docs/*.md; do
  gzip -9n < "$page" > "$doc/$(basename "$page").gz"
done
install -d "$doc/examples"
install -m 644 packaging/hotstandby.yaml.sample "$doc/examples/hotstandby.yaml"
for example in examples/*/; do
  name=$(basename "$example")
  install -d "$doc/examples/$name"
  # Scripts stay readable, not executable (Debian policy 12.6: examples are not run in place).
  find "$example" -maxdepth 1 -type f -exec install -m 644 {} "$doc/examples/$name/" \;
done
install -m 644 examples/README.md "$doc/examples/"

install -d "$pkg/usr/share/lintian/overrides"
install -m 644 packaging/debian/lintian-overrides "$pkg/usr/share/lintian/overrides/hotstandby"

# ── control ──
install -d "$pkg/DEBIAN"
install -m 755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$pkg/DEBIAN/"
# Shared libraries of the addons (libc6, libstdc++6, libgcc-s1) as dpkg-shlibdeps computes them.
mkdir -p "$stage/shlibs/debian"
printf 'Source: hotstandby\n\nPackage: hotstandby\nArchitecture: any\n' > "$stage/shlibs/debian/control"
shlibs=$(cd "$stage/shlibs" && dpkg-shlibdeps -O $(find "$lib" -name '*.node') 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
size=$(du -k -s --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$debian_version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" packaging/debian/control.in > "$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

install -d "$out"
deb="$out/hotstandby_${debian_version}_${arch}.deb"
# Reproducible: files owned by root, times from the changelog entry.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(date -d "$(sed -n 's/^ -- .*>  //p' packaging/debian/changelog | head -1)" +%s)}"
find "$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"

if [ "${1:-}" = --lintian ]; then
  # Overrides, each justified, are in packaging/debian/lintian-overrides (shipped in the package).
  lintian --fail-on error,warning --display-info "$deb"
fi
