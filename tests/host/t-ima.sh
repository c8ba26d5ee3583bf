#!/usr/bin/env bash
# Usage: tests/host/t-ima.sh KVER MODULE
#
# What IMA measures of a table (dm's critical-data measurement, on with
# ima_policy=critical_data) names the optional arguments, so that an
# attestation can tell a table that checks its SSD's data from one that
# does not.  Debian's kernels have IMA built in; the policy is a boot
# argument, hence a host test with a VM of its own.
set -euo pipefail
here=$(dirname "$0")
out=$("$here/../../scripts/vm" --kver "$1" --module "$2" \
	--append "ima_policy=critical_data" "$here/ima-guest" 2>&1) || {
	printf '%s\n' "$out" | tail -n 20
	echo "t-ima: the VM run failed"
	exit 1
}
for want in "persistent=y,verify=y;" "persistent=n,verify=n;"; do
	grep -q "^measured: swapcache,.*,$want" <<<"$out" || {
		printf '%s\n' "$out" | grep "^measured:" || true
		echo "t-ima: no measurement of a table with $want"
		exit 1
	}
done
echo "t-ima: IMA measured both tables' optional arguments"
