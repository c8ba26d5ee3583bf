# shellcheck shell=sh
# The shell tests' counting, as harness.h is the C tests': a scratch
# directory removed at exit, ok and bad, and the summary line that
# tests/unit/run reads.  Sourced.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() {
	passed=$((passed + 1))
}

bad() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}

# summary NAME: the counts, under NAME; fails when a check failed.
summary() {
	echo "$1: $passed checks passed, $failed failed"
	[ "$failed" -eq 0 ]
}
