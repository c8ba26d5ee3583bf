#!/bin/sh
# Every bad table line is refused with its own message and leaves nothing
# behind; good ones are accepted and echoed by `dmsetup table`.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
origin_sz=$(blockdev --getsz /dev/ram0)
: >/tmp/not-a-device
dmsetup create tiny --table "0 2040 linear /dev/ram1 0" || die "no tiny dev"
dmsetup mknodes tiny

# refused TABLE_ARGS MESSAGE: creating with TABLE_ARGS fails, the kernel
# log names MESSAGE, and no device or module reference is left.
# Only the log lines since the attempt count; the log is not cleared, so
# that a warning one of these refusals makes still fails the test.
refused() {
	local mark
	mark=$(log_mark)
	expect_fail dmsetup create bad --table "0 $origin_sz swapcache $1"
	log_since "$mark" | grep -qF "swapcache: $2" ||
		die "'$1': expected '$2' in the log, got:" \
			"$(log_since "$mark" | tail -n 3)"
	dmsetup info bad >/dev/null 2>&1 && die "'$1' left a device behind"
	assert_eq "$(dmsetup ls | grep -vc tiny)" 0 "'$1' left devices"
	assert_eq "$(sc_refcnt)" 0 "'$1' left a module reference"
	echo "refused as expected: $1 -> $2"
}

refused "" "Too few arguments"
refused "/dev/ram0" "Too few arguments"
refused "/dev/nonexistent /dev/ram1" "Origin device not found"
refused "/dev/ram0 /dev/nonexistent" "Cache device not found"
refused "/tmp/not-a-device /dev/ram1" "Origin device is not a block device"
refused "/dev/ram0 /tmp/not-a-device" "Cache device is not a block device"
refused "/dev/ram0 /dev/ram0" "Origin and cache are the same device"
refused "/dev/ram0 /dev/mapper/tiny" "Cache device is smaller than 1 MiB"
refused "/dev/ram0 /dev/ram1 x" "Invalid number of optional arguments"
refused "/dev/ram0 /dev/ram1 -1" "Invalid number of optional arguments"
refused "/dev/ram0 /dev/ram1 1" "Optional argument count does not match"
refused "/dev/ram0 /dev/ram1 0 extra" "Optional argument count does not match"
refused "/dev/ram0 /dev/ram1 2 a" "Optional argument count does not match"
refused "/dev/ram0 /dev/ram1 1 writeback" "Unknown optional argument"
refused "/dev/ram0 /dev/ram1 2 verify writeback" "Unknown optional argument"
refused "/dev/ram0 /dev/ram1 2 verify verify" \
	"Duplicate optional argument: verify"
refused "/dev/ram0 /dev/ram1 2 verify VERIFY" \
	"Duplicate optional argument: verify"
refused "/dev/ram0 /dev/ram1 2 verify" "Optional argument count does not match"
refused "/dev/ram0 /dev/ram1 2 persistent persistent" \
	"Duplicate optional argument: persistent"
refused "/dev/ram0 /dev/ram1 3 verify Persistent persistent" \
	"Duplicate optional argument: persistent"
refused "/dev/ram0 /dev/ram1 2 persistent" \
	"Optional argument count does not match"
refused "/dev/ram0 /dev/ram1 2 persistent writeback" \
	"Unknown optional argument"

# Longer than the origin: same checks, different table length.
mark=$(log_mark)
expect_fail dmsetup create bad --table \
	"0 $((origin_sz + 8)) swapcache /dev/ram0 /dev/ram1"
log_since "$mark" |
	grep -qF "swapcache: Target length exceeds the origin device's size" ||
	die "no length message: $(log_since "$mark" | tail -n 3)"
assert_eq "$(sc_refcnt)" 0 "the long table left a module reference"

# Accepted: devices by path or major:minor, an explicit zero count, an
# offset into a target that is shorter than the origin.
sc_create good /dev/ram0 /dev/ram1
assert_eq "$(dmsetup table good)" "0 $origin_sz swapcache 1:0 1:1" "table echo"
assert_eq "$(sc_refcnt)" 1 "one target, one reference"
dmsetup remove good
dmsetup create good --table "0 $origin_sz swapcache 1:0 1:1 0" ||
	die "devices by major:minor refused"
assert_eq "$(dmsetup table good)" "0 $origin_sz swapcache 1:0 1:1 0" \
	"table echo with an explicit zero count"
dmsetup remove good
dmsetup create good --table "0 $origin_sz swapcache 1:0 1:1 1 Verify" ||
	die "the verify option refused"
assert_eq "$(dmsetup table good)" "0 $origin_sz swapcache 1:0 1:1 1 verify" \
	"table echo with verify"
dmsetup reload good --table "$(dmsetup table good)" ||
	die "reloading the echoed table"
dmsetup resume good
assert_eq "$(dmsetup table good)" "0 $origin_sz swapcache 1:0 1:1 1 verify" \
	"table echo after a reload of the echo"
dmsetup remove good
for opts in "1 persistent" "2 persistent verify" "2 verify PERSISTENT"; do
	dmsetup create good --table "0 $origin_sz swapcache 1:0 1:1 $opts" ||
		die "options '$opts' refused"
	want="1 persistent"
	case $opts in 2*) want="2 persistent verify" ;; esac
	assert_eq "$(dmsetup table good)" \
		"0 $origin_sz swapcache 1:0 1:1 $want" "table echo of '$opts'"
	case $(dmsetup status good) in
	*" mode=ok restored=0") ;;
	*) die "status with '$opts': $(dmsetup status good)" ;;
	esac
	dmsetup remove good
done
dmsetup create good --table "0 8 linear /dev/ram1 0
8 1024 swapcache /dev/ram0 /dev/ram1" || die "two-segment table refused"
assert_eq "$(dmsetup table good | tail -n 1)" "8 1024 swapcache 1:0 1:1" \
	"second segment echo"
dmsetup remove good
dmsetup remove tiny
assert_eq "$(sc_refcnt)" 0 "references left after removal"
