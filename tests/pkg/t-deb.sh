#!/usr/bin/env bash
# make deb builds swapcache-dkms_<version>_all.deb, lintian-clean (scripts/deb
# fails otherwise), holding what DKMS, the boot activation and the admin
# need: every module source file under /usr/src/swapcache-<version>/ with
# the version in its dkms.conf, the script, the unit, the two /etc files as
# conffiles, a man page per command and file format, and the guide; and
# maintainer scripts that hand the module to DKMS and enable the unit.
# Beside it, swapcache-tools_<version>_<arch>.deb: swapcachectl, built with
# the packaging's hardening flags, and its man page, and nothing else; it
# goes with a swapcache-dkms of its own version only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fail() { echo "t-deb: $*"; exit 1; }

debs=$(scripts/deb | tail -n 2) || fail "make deb failed"
{ read -r deb; read -r tools; } <<<"$debs"
version=$(dpkg-parsechangelog -l debian/changelog -SVersion)
[[ $deb == build/deb/swapcache-dkms_${version}_all.deb ]] || fail "unexpected package $deb"
[[ $tools == build/deb/swapcache-tools_${version}_$(dpkg --print-architecture).deb ]] ||
	fail "unexpected package $tools"
listing=$(dpkg-deb -c "$deb")
contents=$(awk '{ print $6 }' <<<"$listing" | sed 's,^\./,/,')

want=(/usr/src/swapcache-"$version"/dkms.conf /usr/src/swapcache-"$version"/Kbuild
	/usr/sbin/swapcache-activate /lib/systemd/system/swapcache-activate.service
	/etc/swapcachetab /etc/modprobe.d/swapcache.conf
	/usr/share/man/man8/swapcache-activate.8.gz /usr/share/man/man5/swapcachetab.5.gz
	/usr/share/doc/swapcache-dkms/swapcache.rst.gz /usr/share/doc/swapcache-dkms/copyright)
for f in swapcache/*.[ch]; do
	want+=("/usr/src/swapcache-$version/$f")
done
for f in "${want[@]}"; do
	grep -qxF "$f" <<<"$contents" || fail "$deb lacks $f"
done
# Nothing of the test bed or the build: only the module's sources under /usr/src.
stray=$(grep -E '^/usr/src/' <<<"$contents" | grep -vE "^/usr/src/($|swapcache-$version/((swapcache/)?|Kbuild|dkms.conf|swapcache/[a-z_]+\.[ch]))$") &&
	fail "unexpected files under /usr/src: $stray"
grep -q '^-rwxr-xr-x .* \./usr/sbin/swapcache-activate$' <<<"$listing" ||
	fail "swapcache-activate is not executable in the package"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp/root"
dpkg-deb -e "$deb" "$tmp/control"
grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/root/usr/src/swapcache-$version/dkms.conf" ||
	fail "dkms.conf does not carry version $version"
diff -r <(cd swapcache && cat ./*.[ch]) <(cd "$tmp/root/usr/src/swapcache-$version/swapcache" && cat ./*.[ch]) >/dev/null ||
	fail "the packaged sources differ from the tree's"
assert_conffile() {
	grep -qx "$1" "$tmp/control/conffiles" || fail "$1 is not a conffile"
}
assert_conffile /etc/swapcachetab
assert_conffile /etc/modprobe.d/swapcache.conf
grep -q 'common.postinst swapcache\|DKMS_NAME=swapcache' "$tmp/control/postinst" ||
	fail "postinst does not hand the module to DKMS"
grep -q "deb-systemd-helper enable 'swapcache-activate.service'" "$tmp/control/postinst" ||
	fail "postinst does not enable the unit"
grep -q 'deb-systemd-invoke start' "$tmp/control/postinst" &&
	fail "postinst starts the unit (it must only enable it)"
# The examples must change nothing until the admin edits them.
grep -vE '^[[:space:]]*(#|$)' "$tmp/root/etc/swapcachetab" && fail "/etc/swapcachetab has active lines"
grep -vE '^[[:space:]]*(#|$)' "$tmp/root/etc/modprobe.d/swapcache.conf" &&
	fail "/etc/modprobe.d/swapcache.conf has active lines"

# swapcache-tools: the tool, its man page and the files every package has.
tools_listing=$(dpkg-deb -c "$tools")
tools_files=$(awk '$1 !~ /^d/ { print $6 }' <<<"$tools_listing" | sed 's,^\./,/,' | LC_ALL=C sort)
want_tools=$(printf '%s\n' /usr/sbin/swapcachectl /usr/share/doc/swapcache-tools/changelog.gz \
	/usr/share/doc/swapcache-tools/copyright /usr/share/lintian/overrides/swapcache-tools \
	/usr/share/man/man8/swapcachectl.8.gz)
[[ $tools_files == "$want_tools" ]] ||
	fail "$tools holds"$'\n'"$tools_files"$'\n'"instead of"$'\n'"$want_tools"
grep -q '^-rwxr-xr-x .* \./usr/sbin/swapcachectl$' <<<"$tools_listing" ||
	fail "swapcachectl is not executable in the package"
dpkg-deb -x "$tools" "$tmp/tools"
dpkg-deb -f "$tools" Depends | grep -q 'libc6' || fail "$tools does not depend on libc6"
# The tool reads the status line of the module of its own version: with
# both installed they must be of one source version.
breaks=$(dpkg-deb -f "$tools" Breaks | tr ',' '\n' | sed 's/^ *//' | LC_ALL=C sort | paste -sd,)
[[ $breaks == "swapcache-dkms (<< $version),swapcache-dkms (>> $version)" ]] ||
	fail "$tools does not break a swapcache-dkms of another version: $breaks"
# The man page is the tree's, and the binary is the tool, built hardened.
cmp -s <(gzip -dc "$tmp/tools/usr/share/man/man8/swapcachectl.8.gz") tools/swapcachectl/swapcachectl.8 ||
	fail "the packaged swapcachectl.8 differs from tools/swapcachectl/swapcachectl.8"
usage=$("$tmp/tools/usr/sbin/swapcachectl" --help 2>&1) || true
grep -q '^usage: swapcachectl' <<<"$usage" || fail "the packaged swapcachectl does not print its usage"
dynamic=$(readelf -d "$tmp/tools/usr/sbin/swapcachectl")
grep -q 'BIND_NOW' <<<"$dynamic" ||
	fail "swapcachectl was linked without -z now (the packaging's hardening flags)"
echo "t-deb: $deb: $(wc -l <<<"$contents") entries; $tools: $(wc -l <<<"$tools_files") files; lintian clean"
