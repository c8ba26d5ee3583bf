#!/usr/bin/env bash
# dkms.conf limits DKMS to the kernel lines the module supports, so that a
# kernel it cannot build for (a newer line's headers) is skipped by DKMS
# rather than failing that kernel package's postinst: its
# BUILD_EXCLUSIVE_KERNEL takes every kernel of the lines the test bed runs
# and refuses the lines next to them.  DKMS reads the file as bash does and
# matches with [[ =~ ]]; so does this test.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "t-dkms-conf: $*"; exit 1; }

BUILD_EXCLUSIVE_KERNEL=
# shellcheck source=/dev/null
. "$root/dkms.conf"
[[ -n $BUILD_EXCLUSIVE_KERNEL ]] || fail "dkms.conf sets no BUILD_EXCLUSIVE_KERNEL"
for kver in "$("$root/scripts/kver" 6.1)" "$("$root/scripts/kver" 6.12)" \
	6.1.0-13-amd64 6.1.0-57-cloud-amd64 6.12.9+bpo-amd64 6.12.118+deb12-amd64; do
	[[ $kver =~ $BUILD_EXCLUSIVE_KERNEL ]] || fail "$kver, of a supported line, is excluded"
done
for kver in 6.10.0-1-amd64 6.11.5-amd64 6.13.0-rc1-amd64 6.120.0-amd64 \
	5.10.0-30-amd64 6.6.15-amd64 7.1.0-amd64 16.1.0-amd64; do
	[[ ! $kver =~ $BUILD_EXCLUSIVE_KERNEL ]] || fail "$kver, of no supported line, is built for"
done
echo "t-dkms-conf: BUILD_EXCLUSIVE_KERNEL='$BUILD_EXCLUSIVE_KERNEL' takes the 6.1 and 6.12 lines only"
