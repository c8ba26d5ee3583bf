#!/bin/sh
# swapcachectl against a real target, real files and real figures:
# - wrong command lines exit 2 with the usage on stderr and nothing on
#   stdout; `set` refuses a bad value with its range and writes none of
#   the values given with it;
# - cache/nocache/clear set and remove the attributes; cache warns about a
#   filesystem that is not on a target and sets the flag all the same;
# - explain's verdict for each rule of the opt-in (no attribute, inherited
#   opt-in, own opt-in, veto above, cleared, maxfilesize, a filesystem off
#   the target, data_enable=0) is what the thread then does: `written`
#   grows by exactly the pages of the files it said would be cached, plus
#   a canary's (as t-51 measures it);
# - status and status --json report what dmsetup status reports;
# - stat -i 1 -c 3 under a fio load prints three lines whose reads/s are
#   not 0, and its --json lines parse;
# - metrics passes a strict checker of the exposition format, with the
#   figures dmsetup reports;
# - without the module, status fails saying so, metrics says it.
# The JSON and the exposition format are checked by tests/vm/json.awk and
# prom.awk, shown first to refuse broken input under the guest's awk.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

J=/tests/json.awk
PROM=/tests/prom.awk
CANARY=64

# usage_error ARGS...: swapcachectl ARGS exits 2, usage on stderr only.
usage_error() {
	local rc=0
	swapcachectl "$@" >/tmp/out 2>/tmp/err || rc=$?
	assert_eq "$rc" 2 "swapcachectl $*: exit status"
	[ ! -s /tmp/out ] || die "swapcachectl $*: printed on stdout: $(cat /tmp/out)"
	grep -q '^usage: swapcachectl' /tmp/err ||
		die "swapcachectl $*: no usage on stderr: $(cat /tmp/err)"
}

# fails_saying TEXT ARGS...: swapcachectl ARGS exits 1 with TEXT on stderr.
fails_saying() {
	local text=$1 rc=0
	shift
	swapcachectl "$@" >/tmp/out 2>/tmp/err || rc=$?
	assert_eq "$rc" 1 "swapcachectl $*: exit status"
	grep -qF -- "$text" /tmp/err ||
		die "swapcachectl $*: stderr lacks '$text': $(cat /tmp/err)"
}

# json_field KEY <FILE: the last value of KEY in a JSON object without
# nesting of the same key (status --json: the target's keys come after
# the budget's, so the last is the target's).
json_field() {
	sed 's/[,{}[]/\n/g' | sed -n "s/^\"$1\"://p" | tail -n 1 | tr -d '"'
}

echo "--- the checkers refuse broken input"
echo '{"a":1,"a":2}' >/tmp/bad.json
expect_fail awk -f $J /tmp/bad.json
printf '{"a":[1,]}\n' >/tmp/bad.json
expect_fail awk -f $J /tmp/bad.json
printf '# HELP a_total x\n# TYPE a_total counter\na_total{b="1} 1\n' >/tmp/bad.prom
expect_fail awk -f $PROM /tmp/bad.prom
printf '# HELP a x\n# TYPE a counter\na 1\n' >/tmp/bad.prom
expect_fail awk -f $PROM /tmp/bad.prom

echo "--- usage"
usage_error
usage_error bogus
usage_error explain
usage_error cache -R /tmp
usage_error stat -i 0
usage_error stat -c x
usage_error status --bogus
usage_error set
usage_error metrics extra

load_swapcache
echo "--- set"
fails_saying "from 1 to 100" set maxswappct=150
assert_eq "$(cat $P/maxswappct)" 75 "maxswappct after a refused set"
fails_saying "nothing was changed" set accrate=5 maxswappct=0
assert_eq "$(cat $P/accrate)" 100000 "accrate after a refused set"
fails_saying "no parameter 'nosuch'" set nosuch=1
swapcachectl set hysteresis=0 accrate=200000
assert_eq "$(cat $P/hysteresis)/$(cat $P/accrate)" 0/200000 "set"

sc_ext4_and_off
cd /mnt || die "cd /mnt"

echo "--- cache, nocache, clear"
mkdir -p hot/veto plain
swapcachectl cache hot
swapcachectl nocache hot/veto
sc_mkfile hot/canary $CANARY
sc_mkfile hot/f 100
sc_mkfile hot/big 300
sc_mkfile hot/veto/f 120
sc_mkfile plain/f 140
sc_mkfile plain/own 160
sc_mkfile plain/gone 180
swapcachectl cache plain/own plain/gone
swapcachectl clear plain/gone
assert_eq "$(getfattr --only-values -n user.swapcache hot)" 1 "hot's opt-in"
assert_eq "$(getfattr --only-values -n trusted.noswapcache hot/veto)" 1 "the veto"
assert_eq "$(getfattr --only-values -n user.swapcache plain/own)" 1 "plain/own's opt-in"
expect_fail getfattr -n user.swapcache plain/gone 2>/dev/null
sc_mkfile /mnt2/f 200
swapcachectl cache /mnt2/f 2>/tmp/err
grep -q "not on a swapcache target" /tmp/err || die "no warning for /mnt2/f: $(cat /tmp/err)"
assert_eq "$(getfattr --only-values -n user.swapcache /mnt2/f)" 1 "/mnt2/f's opt-in"
fails_saying "No such file" cache hot/nosuch hot/f
expect_fail getfattr -n user.swapcache hot/f 2>/dev/null

echo "--- explain"
sc_drop_caches
# verdict WANT REASON FILE: explain FILE exits WANT (0: would be cached)
# with a "NO REASON" line when it says no.
verdict() {
	local rc=0
	swapcachectl explain "$3" >/tmp/explain || rc=$?
	sed 's/^/    /' /tmp/explain
	assert_eq "$rc" "$1" "explain $3: exit status"
	[ "$1" = 0 ] || grep -q "^  NO $2 " /tmp/explain ||
		die "explain $3: no 'NO $2' line"
}
verdict 1 data_enable hot/f
swapcachectl set data_enable=1 read_enable=1 maxfilesize=1048576
verdict 0 - hot/f
verdict 0 - hot
verdict 0 - plain/own
verdict 1 opt-in plain/f
verdict 1 opt-in plain
verdict 1 opt-in plain/gone
verdict 1 veto hot/veto/f
verdict 1 maxfilesize hot/big
verdict 1 filesystem /mnt2/f
swapcachectl explain hot/f | grep -q "^  ok opt-in .*user.swapcache=1 on /mnt/hot (inherited)" ||
	die "explain hot/f does not name the directory it inherits from"
swapcachectl explain hot/veto/f | grep -q "^  NO veto .*on /mnt/hot/veto (inherited)" ||
	die "explain hot/veto/f does not name the directory that vetoes it"

echo "--- what the thread caches"
w=$(sc_status_field sc written)
cat hot/f hot/big hot/veto/f plain/f plain/own plain/gone /mnt2/f >/dev/null
cat hot/canary >/dev/null
want=$((100 + 160 + CANARY))
sc_wait_written sc $((w + want)) 30
sleep 2
assert_eq "$(($(sc_status_field sc written) - w))" $want \
	"pages written (hot/f, plain/own and the canary)"
swapcachectl set data_enable=0
sleep 1

echo "--- status"
swapcachectl status >/tmp/status
cat /tmp/status
swapcachectl status --json sc >/tmp/status.json
awk -f $J /tmp/status.json || die "status --json is not JSON: $(cat /tmp/status.json)"
line=$(dmsetup status sc)
for k in read_hits read_misses written evicted invalidated ssd_errors state mode restored; do
	assert_eq "$(json_field $k </tmp/status.json)" "$(sc_status_field sc $k)" \
		"status --json $k ($line)"
done
cache=$(sc_status_field sc cache_pages)
assert_eq "$(json_field cache_used_pages </tmp/status.json)/$(json_field cache_total_pages </tmp/status.json)" \
	"$cache" "status --json cache pages"
grep -q "${cache%/*} of ${cache#*/} pages" /tmp/status || die "status: no '${cache%/*} of ${cache#*/} pages'"
grep -q "written .*($(sc_status_field sc written) pages)" /tmp/status || die "status: written"
grep -q "data_enable=0" /tmp/status && die "status lists data_enable, at its default"
grep -q "hysteresis=0 (default" /tmp/status || die "status: hysteresis=0 not listed as changed"
fails_saying "no swapcache target named 'nope'" status nope

echo "--- metrics"
swapcachectl metrics >/tmp/metrics
awk -f $PROM /tmp/metrics || die "metrics: the checker refused it"
grep -qx "swapcache_written_bytes_total{target=\"sc\"} $(($(sc_status_field sc written) * 4096))" /tmp/metrics ||
	die "metrics: written bytes differ from dmsetup's $(sc_status_field sc written) pages"
grep -qx 'swapcache_parameter{name="maxfilesize"} 1048576' /tmp/metrics || die "metrics: maxfilesize"

echo "--- stat under load"
reads() {
	echo $(($(sc_status_field sc read_hits) + $(sc_status_field sc read_misses)))
}
r0=$(reads)
fio --name=load --filename=/dev/mapper/sc --rw=randread --bs=4k --direct=1 \
	--size=64M --time_based --runtime=15 --output-format=terse >/dev/null &
load=$!
# fio may take seconds to start under TCG: stat begins once it reads.
i=0
while [ "$(reads)" -eq "$r0" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || die "fio did not start reading in 10 s"
	sleep 0.1
done
swapcachectl stat -i 1 -c 3 sc >/tmp/stat
swapcachectl stat -i 0.5 -c 2 --json >/tmp/stat.json
wait $load || die "fio load"
cat /tmp/stat /tmp/stat.json
assert_eq "$(wc -l </tmp/stat)" 4 "stat -c 3: a header and three lines"
assert_eq "$(awk 'NR > 1 && $2 == "sc" && $3 > 0' /tmp/stat | wc -l)" 3 \
	"stat lines with reads/s above 0"
awk -v lines=1 -f $J /tmp/stat.json || die "stat --json lines are not JSON"
assert_eq "$(grep -c '"reads_per_second":[1-9]' /tmp/stat.json)" 2 "stat --json lines with reads"

echo "--- without the module"
cd /
umount /mnt /mnt2
dmsetup remove sc || die "remove sc"
rmmod swapcache || die "rmmod swapcache"
fails_saying "module is not loaded" status
fails_saying "module is not loaded" explain /tests
swapcachectl metrics >/tmp/metrics
awk -f $PROM /tmp/metrics || die "metrics without the module"
grep -qx 'swapcache_module_loaded 0' /tmp/metrics || die "metrics: module_loaded is not 0"
