# shellcheck shell=bash
# Reading, on the host, the KTAP (Documentation/dev-tools/ktap.rst in the
# kernel) that tests/vm/run prints; source it.  Not in lib.sh, whose text is
# part of the cached initramfs's key: a change here rebuilds no initramfs.

# ktap_results LOG: "PLANNED PASSED FAILED" from the KTAP a test run
# printed into LOG, e.g. a VM's console, where \r ends lines and kernel
# messages come between: the plan line ("1..N"; -1 when there is none) and
# the top-level "ok N NAME" and "not ok N NAME" lines after the last
# "KTAP version 1" header.  Prints nothing when LOG has no such header.
ktap_results() {
	tr -d '\r' 2>/dev/null <"$1" | awk '
		/^KTAP version 1$/ { seen = 1; plan = -1; ok = 0; notok = 0; next }
		!seen { next }
		/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
		/^ok [0-9]+ / { ok++; next }
		/^not ok [0-9]+ / { notok++ }
		END { if (seen) print plan, ok, notok }'
}
