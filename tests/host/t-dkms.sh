#!/usr/bin/env bash
# Usage: tests/host/t-dkms.sh KVER MODULE
#
# DKMS builds and installs the module for KVER from the source tree the
# Debian package ships (scripts/dkms-source), in a scratch DKMS tree so
# that the host's /var/lib/dkms and /lib/modules stay untouched; then the
# VM boots KVER with that module, not MODULE (the Makefile's, tested by
# the VM suite), and runs a few VM tests on it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kver=$1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/sc-dkms.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

fail() { echo "t-dkms: $*"; exit 1; }

version=$("$root/scripts/dkms-source" "$scratch/src")
# A scratch signing key as well: without one, DKMS would make its own under
# /var/lib/dkms.  The guest enforces no signatures, so any key will do.
export mok_signing_key=$scratch/mok.key mok_certificate=$scratch/mok.pub
dkms=(dkms --dkmstree "$scratch/tree" --sourcetree "$scratch/src"
	--installtree "$scratch/lib/modules" -m swapcache -v "$version")
mkdir -p "$scratch/tree" "$scratch/lib/modules/$kver"
if ! { "${dkms[@]}" add && "${dkms[@]}" build -k "$kver" &&
	"${dkms[@]}" install -k "$kver" --no-depmod; } >"$scratch/dkms.log" 2>&1; then
	cat "$scratch/dkms.log" "$scratch/tree/swapcache/$version/build/make.log" 2>/dev/null
	fail "dkms could not build and install swapcache $version for $kver"
fi
state=$("${dkms[@]}" status -k "$kver" 2>/dev/null)
grep -q ": installed$" <<<"$state" || fail "dkms status does not say installed: $state"

# DKMS compresses the module the way the kernel's own are (xz on 6.12 when
# its modules.dep is present), and installs it under updates/dkms/.
installed=$(find "$scratch/lib/modules/$kver/updates/dkms" -name 'swapcache.ko*' | head -n 1)
[[ -n $installed ]] || fail "no swapcache.ko under updates/dkms after dkms install"
case $installed in
*.ko) cp "$installed" "$scratch/swapcache.ko" ;;
*.ko.xz) xz -dc "$installed" >"$scratch/swapcache.ko" ;;
*.ko.zst) zstd -qdc "$installed" >"$scratch/swapcache.ko" ;;
*.ko.gz) gzip -dc "$installed" >"$scratch/swapcache.ko" ;;
*) fail "unexpected module file $installed" ;;
esac
echo "t-dkms: dkms built and installed $(basename "$installed") $version for $kver"

if ! "$root/scripts/vm" --kver "$kver" --module "$scratch/swapcache.ko" \
	"$root/tests/vm/run" t-00-boot t-10-table t-20-integrity >"$scratch/vm.log" 2>&1; then
	tail -n 40 "$scratch/vm.log"
	fail "the VM tests failed on the DKMS-built module"
fi
grep -E '^(ok|not ok) ' "$scratch/vm.log"
echo "t-dkms: the DKMS-built module passed the VM tests on $kver"
