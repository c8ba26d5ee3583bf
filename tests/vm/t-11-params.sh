#!/bin/sh
# Module parameters: the admin guide's names, defaults and modes; refused writes keep the
# old value, both at run time and at load time.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

P=/sys/module/swapcache/parameters
load_swapcache

ram_pages=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo) / 4))
for spec in read_enable=0 data_enable=0 meta_enable=0 use_chflags=1 \
	maxfilesize=0 maxlaunder=256 maxswappct=75 \
	hysteresis=$((ram_pages / 16)) accrate=100000 minburst=10000000 \
	curburst=4000000000 maxburst=2000000000 write_count=0; do
	name=${spec%%=*}
	assert_eq "$(cat "$P/$name")" "${spec#*=}" "default of $name"
	assert_eq "$(stat -c %a "$P/$name")" 644 "mode of $name"
done
# shellcheck disable=SC2012 # parameter names are plain words
assert_eq "$(ls "$P" | wc -l)" 13 "number of parameters"

# bad NAME VALUE: writing VALUE and a newline (as echo does) fails with
# EINVAL and the value stays.  dd, because it reports write errors.
bad() {
	before=$(cat "$P/$1")
	if err=$(echo "$2" | dd of="$P/$1" 2>&1); then
		die "$1='$2' was accepted"
	fi
	echo "$err" | grep -q "Invalid argument" ||
		die "$1='$2' failed with '$err', not EINVAL"
	assert_eq "$(cat "$P/$1")" "$before" "$1 after refusing '$2'"
}
good() {
	echo "$2" >"$P/$1" || die "$1='$2' refused"
	assert_eq "$(cat "$P/$1")" "${3:-$2}" "$1 after writing '$2'"
}

for b in read_enable data_enable meta_enable use_chflags; do
	bad $b 2
	bad $b -1
	bad $b yes
	bad $b ""
	# kstrtobool() alone would take these: it reads one or two characters.
	bad $b t
	bad $b on
	bad $b "1 "
	bad $b 10
done
bad maxswappct 0
bad maxswappct 101
bad maxswappct -5
bad maxlaunder 0
bad maxlaunder 1048577
bad hysteresis -1
for n in maxfilesize accrate minburst curburst maxburst write_count; do
	bad $n -1
	bad $n 4503599627370497
	bad $n abc
	bad $n 0x10
	bad $n 12abc
	bad $n +5
	bad $n " 5"
	bad $n 99999999999999999999999
done

good read_enable 1
good read_enable N 0
good read_enable y 1
good read_enable 0
good maxswappct 100
good maxswappct 75
good maxlaunder 1048576
good maxlaunder 256
good accrate 0
good accrate 100000
good curburst 4503599627370496
good curburst 4000000000

# Load time: a bad value refuses the load, good ones are kept (hysteresis
# is not recomputed over a given value).
rmmod swapcache || die "rmmod failed"
expect_fail insmod /swapcache.ko maxswappct=200
expect_fail insmod /swapcache.ko accrate=-1
if [ -d /sys/module/swapcache ]; then
	die "a refused load left the module in"
fi
insmod /swapcache.ko hysteresis=5 accrate=7 read_enable=1 ||
	die "load with good values failed"
assert_eq "$(cat $P/hysteresis)" 5 "hysteresis given at load"
assert_eq "$(cat $P/accrate)" 7 "accrate given at load"
assert_eq "$(cat $P/read_enable)" 1 "read_enable given at load"
assert_eq "$(cat $P/maxswappct)" 75 "maxswappct default after a load with others"
