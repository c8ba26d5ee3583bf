#!/bin/sh
# Checks scripts/guest/memcg-oom.awk, the filter that keeps memory-cgroup
# OOM dumps out of the kernel-problem count, under every awk the test bed
# runs it with (the host's, and busybox's as in the guest).
AWK_SCRIPT=$(dirname "$0")/../../scripts/guest/memcg-oom.awk
PROBLEMS=$(dirname "$0")/../../scripts/guest/kernel-problems
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -Ev '^(#|$)' "$PROBLEMS" >"$tmp/problems"
passed=0
failed=0

# dump WHERE END: an OOM dump as the kernel prints it; WHERE is the frame
# that tells memcg from global, END its last line.
dump() {
	printf '[  122.063759] md5sum invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0\r\n'
	printf '[  122.066452] Call Trace:\r\n'
	printf '[  122.067587]  <TASK>\r\n'
	printf 'soak: op fio_write0 122.33\r\n'
	printf '[  122.068453]  out_of_memory+0x395/0x520\r\n'
	[ -z "$1" ] || printf '[  122.068454]  %s+0x12a/0x140\r\n' "$1"
	printf '[  122.070597]  </TASK>\r\n'
	[ -z "$2" ] || printf '[  122.089512] %s\r\n' "$2"
}

# expect NAME PROBLEMS REMOVED AWK: feed $tmp/log through the filter with
# AWK; the kernel-problem lines left and the dumps removed must be as given.
expect() {
	left=$($4 -v count="$tmp/count" -f "$AWK_SCRIPT" "$tmp/log" |
		grep -cE -f "$tmp/problems")
	removed=$(cat "$tmp/count")
	if [ "$left" = "$2" ] && [ "$removed" = "$3" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $1 ($4): $left problem lines left, $removed dumps removed;" \
			"wanted $2 and $3"
	fi
}

for awk in awk "busybox awk"; do
	dump mem_cgroup_out_of_memory \
		'Memory cgroup out of memory: Killed process 3007 (sh)' >"$tmp/log"
	expect "memcg dump with a victim" 0 1 "$awk"
	dump mem_cgroup_out_of_memory 'Out of memory and no killable processes...' >"$tmp/log"
	dump mem_cgroup_out_of_memory \
		'Memory cgroup out of memory: Killed process 3008 (dd)' >>"$tmp/log"
	expect "two memcg dumps, one without a victim" 0 2 "$awk"
	dump "" 'Out of memory: Killed process 3007 (sh)' >"$tmp/log"
	expect "global OOM" 1 0 "$awk"
	dump mem_cgroup_out_of_memory '' >"$tmp/log"
	expect "memcg dump cut short" 1 0 "$awk"
	{
		dump mem_cgroup_out_of_memory '' | head -n 3
		printf '[  122.068000] BUG: kernel NULL pointer dereference, address: 0\r\n'
		dump mem_cgroup_out_of_memory \
			'Memory cgroup out of memory: Killed process 3007 (sh)' | tail -n +2
	} >"$tmp/log"
	expect "a BUG printed inside a memcg dump" 1 1 "$awk"
	# The console puts the guest's output and the kernel's on one line
	# when the guest's has no newline yet.
	dump mem_cgroup_out_of_memory '' >"$tmp/log"
	printf 'soak: op bad_message 1234.07[ 1234.062422] Out of memory and no killable processes...\r\n' >>"$tmp/log"
	dump mem_cgroup_out_of_memory \
		'Memory cgroup out of memory: Killed process 3008 (dd)' >>"$tmp/log"
	expect "a dump's last line after the guest's output" 0 2 "$awk"
	{
		dump mem_cgroup_out_of_memory \
			'Memory cgroup out of memory: Killed process 3007 (sh)'
		printf '[  130.000000] WARNING: CPU: 0 PID: 1 at swapcache/scan.c:1\n'
		printf '[  130.000001] Call Trace:\n'
	} >"$tmp/log"
	expect "a warning after a memcg dump" 2 1 "$awk"
done
echo "memcg_oom: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
