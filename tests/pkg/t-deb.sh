#!/usr/bin/env bash
# make deb builds swapcache-dkms_<version>_all.deb, lintian-clean (scripts/deb
# fails otherwise), holding what DKMS, the boot activation and the admin
# need: every module source file under /usr/src/swapcache-<version>/ with
# the version in its dkms.conf, the script, the unit, the two /etc files as
# conffiles, a man page per command and file format, and the guide; and
# maintainer scripts that hand the module to DKMS and enable the unit.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fail() { echo "t-deb: $*"; exit 1; }

deb=$(scripts/deb | tail -n 1) || fail "make deb failed"
version=$(dpkg-parsechangelog -l debian/changelog -SVersion)
[[ $deb == build/deb/swapcache-dkms_${version}_all.deb ]] || fail "unexpected package $deb"
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
echo "t-deb: $deb: $(wc -l <<<"$contents") entries, lintian clean"
