#!/bin/sh
# swapcache-activate's reading of swapcachetab and its exit statuses, on the
# host: dmsetup, modprobe, blkid and blockdev are stand-ins first in PATH
# that keep the mapped devices as files, so that nothing real is touched.
# The devices are named by UUID= and PARTUUID=, which the stand-in blkid
# answers; tests/vm/t-82-activate.sh runs the script against real devices.
# Each case checks the exit status, what was said and which targets exist.
here=$(cd "$(dirname "$0")" && pwd)
ACT=$here/../../tools/swapcache-activate/swapcache-activate
# shellcheck source=harness.sh
. "$here/harness.sh"

# The stand-ins.  $tmp/dm/NAME holds mapped device NAME's table line;
# $tmp/calls logs every call; $tmp/blkid.tab maps KEY=VALUE to devices.
mkdir "$tmp/bin" "$tmp/dm"
cat >"$tmp/bin/dmsetup" <<'EOF'
#!/bin/sh
echo "dmsetup $*" >>"$STUB/calls"
case $1 in
table) cat "$STUB/dm/$2" 2>/dev/null ;;
status) [ -f "$STUB/dm/$2" ] && echo "0 2048 swapcache cache_pages=0/16" ;;
create)
	[ ! -f "$STUB/dm/$2" ] || { echo "device $2 exists" >&2; exit 1; }
	echo "$4" >"$STUB/dm/$2"
	;;
remove) rm "$STUB/dm/$2" 2>/dev/null ;;
*) exit 1 ;;
esac
EOF
cat >"$tmp/bin/modprobe" <<'EOF'
#!/bin/sh
echo "modprobe $*" >>"$STUB/calls"
[ ! -e "$STUB/modprobe-fails" ]
EOF
cat >"$tmp/bin/blkid" <<'EOF'
#!/bin/sh
for a; do last=$a; done
awk -v key="$last" '$1 == key { print $2 }' "$STUB/blkid.tab"
EOF
cat >"$tmp/bin/blockdev" <<'EOF'
#!/bin/sh
echo 2048
EOF
chmod +x "$tmp/bin/"*
cat >"$tmp/blkid.tab" <<'EOF'
UUID=o1 /dev/stub-origin1
UUID=o2 /dev/stub-origin2
PARTUUID=c1 /dev/stub-cache1
PARTUUID=c2 /dev/stub-cache2
UUID=c9 /dev/stub-cache1
UUID=twin /dev/stub-twin1
UUID=twin /dev/stub-twin2
EOF
STUB=$tmp
PATH=$tmp/bin:$PATH
export STUB PATH
tab=$tmp/tab

# act ARGS...: swapcache-activate -c $tab ARGS; its status in $rc, what
# it said in $tmp/out and $tmp/err, the stand-ins' calls in $tmp/calls.
act() {
	: >"$tmp/calls"
	"$ACT" -c "$tab" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect RC ARGS...: swapcache-activate ARGS exits RC.
expect() {
	want=$1
	shift
	act "$@"
	if [ "$rc" = "$want" ]; then
		ok
	else
		bad "$*: exit $rc, wanted $want: $(cat "$tmp/err")"
	fi
}

# said TEXT: the last run said TEXT on stderr.
said() {
	if grep -qF -- "$1" "$tmp/err"; then
		ok
	else
		bad "no '$1' in: $(cat "$tmp/err")"
	fi
}

# active NAMES: exactly the mapped devices NAMES exist.
active() {
	have=
	for d in "$tmp"/dm/*; do
		[ -e "$d" ] && have="$have${d##*/} "
	done
	if [ "$have" = "$*" ]; then
		ok
	else
		bad "mapped devices '$have', wanted '$*'"
	fi
}

# called TEXT: a stand-in was called with TEXT; uncalled TEXT: none was.
called() {
	if grep -qF -- "$1" "$tmp/calls"; then ok; else bad "no call '$1' in: $(cat "$tmp/calls")"; fi
}
uncalled() {
	if grep -qF -- "$1" "$tmp/calls"; then bad "unexpected call '$1'"; else ok; fi
}

# A line with too few fields is reported by number and skipped; the good
# lines after it are still brought up, and taken down.
printf 'foo\nok UUID=o1 PARTUUID=c1\nbar UUID=o2\n' >"$tab"
expect 1 start
said "$tab:1: expected 'name origin cache [options]'; line skipped"
said "$tab:3: expected 'name origin cache [options]'; line skipped"
active "ok "
if [ "$(cat "$tmp/dm/ok")" = "0 2048 swapcache /dev/stub-origin1 /dev/stub-cache1" ]; then
	ok
else
	bad "ok's table: $(cat "$tmp/dm/ok")"
fi
expect 1 status
if grep -q '^ok: active cache_pages=0/16$' "$tmp/out"; then ok; else bad "status: $(cat "$tmp/out")"; fi
expect 1 stop
active ""

# A '#' starts a comment only where a field starts; inside a name it is a
# bad name, not the end of the line.
printf '# a comment\n  \nx#y UUID=o1 PARTUUID=c1\nz UUID=o2 PARTUUID=c2 - # by uuid\n' >"$tab"
expect 1 start
said "$tab:3: name 'x#y' may hold only"
active "z "
expect 1 stop
active ""

# CRLF line endings are read as LF.
printf 'ok UUID=o1 PARTUUID=c1\r\nok2 UUID=o2 PARTUUID=c2 read_only\r\n' >"$tab"
expect 0 start
active "ok ok2 "
if [ "$(cat "$tmp/dm/ok2")" = "0 2048 swapcache /dev/stub-origin2 /dev/stub-cache2 1 read_only" ]; then
	ok
else
	bad "ok2's table: $(cat "$tmp/dm/ok2")"
fi
expect 0 stop

# Names dmsetup would take for options or its own control node.
printf -- '-x UUID=o1 PARTUUID=c1\ncontrol UUID=o2 PARTUUID=c2\n' >"$tab"
expect 1 start
said "$tab:1: name '-x' may not start with '-'"
said "$tab:2: name 'control' is the device-mapper control node"
active ""

# The cache by its old filesystem's UUID: refused, as are the by-uuid and
# by-label links.
printf 'a UUID=o1 UUID=c9\nb UUID=o2 /dev/disk/by-uuid/c9\nc UUID=o2 /dev/disk/by-label/ssd\n' >"$tab"
expect 1 start
said "$tab:1: cache 'UUID=c9': name the cache by path"
said "$tab:2: cache '/dev/disk/by-uuid/c9': name the cache by path"
said "$tab:3: cache '/dev/disk/by-label/ssd': name the cache by path"
active ""

# A UUID that two devices carry.
printf 'tw UUID=twin PARTUUID=c1\n' >"$tab"
expect 1 -t 0 start
said "$tab:1: tw: UUID=twin matches several devices: /dev/stub-twin1 /dev/stub-twin2"
active ""

# -t: decimal whole seconds, checked before anything is done.
printf 'ok UUID=o1 PARTUUID=c1\n' >"$tab"
expect 0 -t 0099 start
active "ok "
expect 0 stop
for t in 99999999999999999999 86401 1.5 '' -1; do
	expect 2 -t "$t" start
	said "-t takes whole seconds from 0 to 86400"
	uncalled modprobe
	active ""
done

# The module does not load: nothing was done, a status of its own.
touch "$tmp/modprobe-fails"
expect 3 start
said "cannot load the swapcache module"
active ""
rm "$tmp/modprobe-fails"
expect 3 -c "$tmp/nosuch" start
said "cannot read $tmp/nosuch"

summary activate
