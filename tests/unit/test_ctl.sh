#!/bin/sh
# swapcachectl's command line, run as built under ASan and UBSan
# (build/tools/swapcachectl-asan): wrong usage exits 2 with the usage on
# stderr and nothing on stdout; without the module each command says so;
# `set` checks every value with the module's rules against a stand-in for
# sysfs (SWAPCACHECTL_SYSFS) and writes all of them or none; cache, clear
# and nocache change the attributes of every path or, when one is
# missing, of none; warm refuses to run without CAP_SYS_ADMIN, and names
# each path it cannot warm.  A sanitizer report makes the binary exit non-zero,
# which each check sees.
here=$(cd "$(dirname "$0")" && pwd)
CTL=$here/../../build/tools/swapcachectl-asan
PROM=$here/../vm/prom.awk
# shellcheck source=harness.sh
. "$here/harness.sh"

# run ARGS...: swapcachectl ARGS, its stdout, stderr and status in $tmp;
# as user nobody when $privs is "user", as root without CAP_SYS_ADMIN
# when it is "noadmin".
privs=''
run() {
	case $privs in
	user) setpriv --reuid=65534 --regid=65534 --clear-groups -- "$CTL" "$@" ;;
	noadmin) setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin -- "$CTL" "$@" ;;
	*) "$CTL" "$@" ;;
	esac >"$tmp/out" 2>"$tmp/err"
	echo $? >"$tmp/rc"
}

# expect RC TEXT ARGS...: swapcachectl ARGS exits RC with TEXT (if not
# empty) in what it printed.
expect() {
	want=$1 text=$2
	shift 2
	run "$@"
	where=$tmp/both
	cat "$tmp/out" "$tmp/err" >"$where"
	if [ "$(cat "$tmp/rc")" != "$want" ]; then
		bad "swapcachectl $*: exit $(cat "$tmp/rc"), wanted $want: $(cat "$tmp/err")"
	elif [ -n "$text" ] && ! grep -qF -- "$text" "$where"; then
		bad "swapcachectl $*: no '$text' in: $(cat "$where")"
	else
		ok
	fi
}

# usage ARGS...: exit 2, the usage on stderr, nothing on stdout.
usage() {
	expect 2 "usage: swapcachectl" "$@"
	if [ -s "$tmp/out" ]; then
		bad "swapcachectl $*: wrote to stdout on a usage error"
	else
		ok
	fi
}

# value NAME WANT: the stand-in parameter NAME holds WANT.
value() {
	if [ "$(cat "$params/$1")" = "$2" ]; then
		ok
	else
		bad "$1 is $(cat "$params/$1"), wanted $2"
	fi
}

[ -x "$CTL" ] || { echo "no $CTL: make -C tools/swapcachectl asan"; exit 1; }

usage
usage bogus
usage stat -i 0
usage stat -i 1s
usage stat -c 0
usage stat --bogus
usage status -x
usage explain
usage explain -v /
usage cache
usage cache -R /
usage set
usage metrics now
usage help me
usage warm
usage warm --bogus /
usage warm -n
expect 0 "usage: swapcachectl" help

# No module: the stand-in sysfs is empty.
SWAPCACHECTL_SYSFS=$tmp/empty
export SWAPCACHECTL_SYSFS
mkdir -p "$SWAPCACHECTL_SYSFS"
expect 1 "module is not loaded" status
expect 1 "module is not loaded" stat -c 1
expect 1 "module is not loaded" explain /
expect 1 "module is not loaded" set data_enable=1
expect 0 "swapcache_module_loaded 0" metrics
if awk -f "$PROM" "$tmp/out"; then ok; else bad "metrics without the module: not the exposition format"; fi

# warm without CAP_SYS_ADMIN: as another user, and as root without it.
if [ "$(id -u)" = 0 ]; then
	privs=user
	expect 1 "warm needs root" warm /
	privs=noadmin
	expect 1 "warm needs root" warm -n /
	privs=''
	expect 1 "module is not loaded" warm /
else
	expect 1 "warm needs root" warm /
fi


SWAPCACHECTL_SYSFS=$tmp/sys
params=$SWAPCACHECTL_SYSFS/module/swapcache/parameters
mkdir -p "$params"
for kv in read_enable=0 data_enable=0 meta_enable=0 use_chflags=1 \
	maxfilesize=0 maxlaunder=256 maxswappct=75 hysteresis=1000 \
	accrate=100000 minburst=10000000 curburst=4000000000 \
	maxburst=2000000000 write_count=0; do
	echo "${kv#*=}" >"$params/${kv%%=*}"
done
expect 0 "" set maxswappct=80 read_enable=1 accrate=0
value maxswappct 80
value read_enable 1
value accrate 0
expect 1 "from 1 to 100" set maxswappct=150
value maxswappct 80
expect 1 "nothing was changed" set data_enable=1 maxswappct=0
value data_enable 0
expect 1 "a boolean" set data_enable=on
expect 1 "a boolean" set data_enable=1x
expect 1 "from 0 to 4503599627370496" set maxfilesize=4503599627370497
expect 1 "from 0 to 4503599627370496" set maxfilesize=-1
expect 1 "from 0 to 4503599627370496" set maxfilesize=+5
expect 1 "no parameter 'nosuch'; the parameters are: read_enable" set nosuch=1
expect 1 "not KNOB=VALUE" set data_enable
value data_enable 0
expect 0 "" set data_enable=Y
value data_enable Y
# What the module would show after that write.
echo 1 >"$params/data_enable"
expect 0 "" set read_enable=0
expect 1 "ok data_enable" explain /dev/null
expect 1 "NO read_enable" explain /dev/null
expect 1 "NO kind" explain /dev/null
# explain never opens what is not a regular file: a FIFO's writer stays
# blocked in its open (opening a device node can act, as a watchdog's does).
mkfifo "$tmp/fifo"
(exec 3>"$tmp/fifo" && touch "$tmp/fifo-opened") &
writer=$!
expect 1 "NO kind" explain "$tmp/fifo"
sleep 0.2
if [ -e "$tmp/fifo-opened" ]; then bad "explain opened a FIFO"; else ok; fi
exec 4<>"$tmp/fifo"
exec 4<&-
wait "$writer"

mkdir "$tmp/d"
: >"$tmp/d/f"
# The attributes, where the host's filesystem has user.* ones.
if setfattr -n user.swapcache -v 0 "$tmp/d" 2>/dev/null; then
	expect 1 "No such file" cache "$tmp/d/f" "$tmp/nosuch"
	if getfattr -n user.swapcache "$tmp/d/f" >/dev/null 2>&1; then
		bad "cache with a missing path changed another"
	else
		ok
	fi
	expect 0 "" cache "$tmp/d" "$tmp/d/f"
	if [ "$(getfattr --only-values -n user.swapcache "$tmp/d/f")" = 1 ]; then ok; else bad "cache did not set user.swapcache=1"; fi
	expect 0 "still inherits user.swapcache=1 from $tmp/d" clear "$tmp/d/f"
	if getfattr -n user.swapcache "$tmp/d/f" >/dev/null 2>&1; then
		bad "clear left user.swapcache"
	else
		ok
	fi
	# A symbolic link is refused, not followed to what it points at.
	ln -s f "$tmp/d/link"
	: >"$tmp/d/g"
	expect 1 "is a symbolic link" cache "$tmp/d/g" "$tmp/d/link"
	if getfattr -n user.swapcache "$tmp/d/f" "$tmp/d/g" 2>/dev/null | grep -q "^user.swapcache="; then
		bad "cache with a symbolic link changed a file"
	else
		ok
	fi
	if [ "$(id -u)" = 0 ]; then
		expect 0 "" nocache "$tmp/d/f"
		if [ "$(getfattr --only-values -n trusted.noswapcache "$tmp/d/f")" = 1 ]; then ok; else bad "nocache did not set the veto"; fi
	fi
else
	echo "SKIP (not counted): $tmp has no user.* attributes"
fi

summary ctl_cli
