# shellcheck shell=dash
# Helpers for the tests whose origin is a network block device, sourced
# after lib.sh and sc.sh: an nbd-server on 127.0.0.1 inside the guest
# exports a file or a block device (a brd disk, whose bytes the test can
# then read without the network: what the origin holds), nbd-client
# attaches it as /dev/nbdN, and netem on lo adds a round-trip time.
#
#     nbd_serve /dev/ram0          # the export "sc" on 127.0.0.1:10809
#     nbd_attach /dev/nbd0 5       # request timeout 5 s
#     nbd_delay 1                  # 1 ms each way on lo (0: none)
#     ...
#     nbd_kill                     # the server dies (SIGKILL, children too)
#     nbd_down                     # disconnect all, stop the server, no netem
#
# nbd-client configures the kernel through netlink and exits; the kernel
# then holds the socket.  When the server dies, the kernel sees the
# connection close and fails the device's I/O at once (no reconnect: the
# device stays dead until it is disconnected, and it can be disconnected
# only when nothing holds it open).

NBD_PORT=10809
NBD_CONF=/tmp/nbd-server.conf
NBD_PIDFILE=/tmp/nbd-server.pid

# nbd_serve EXPORT: start nbd-server on 127.0.0.1:$NBD_PORT, exporting the
# file or block device EXPORT as "sc"; return once it accepts connections.
nbd_serve() {
	[ -e "$1" ] || die "nbd_serve: no such export: $1"
	ip link set lo up || die "cannot bring lo up"
	cat >$NBD_CONF <<-EOF
		[generic]
		listenaddr = 127.0.0.1
		port = $NBD_PORT
		allowlist = true
		[sc]
		exportname = $1
	EOF
	rm -f $NBD_PIDFILE
	# It forks into the background; its log goes to syslog, of which the
	# guest has none.
	nbd-server -C $NBD_CONF -p $NBD_PIDFILE 2>/tmp/nbd-server.err ||
		die "nbd-server: $(cat /tmp/nbd-server.err)"
	_n=0
	until nbd-client -l 127.0.0.1 $NBD_PORT 2>/dev/null | grep -qx sc; do
		_n=$((_n + 1))
		[ $_n -le 50 ] || die "nbd-server does not list the export after 10 s"
		sleep 0.2
	done
}

# nbd_attach DEV [TIMEOUT]: attach the export to DEV (/dev/nbdN) with
# nbd-client, its requests timing out after TIMEOUT seconds (default 10;
# a request the server never answers fails after that).  Loads nbd first.
nbd_attach() {
	[ -d /sys/module/nbd ] || modprobe nbd nbds_max=4 max_part=0 || die "cannot load nbd"
	[ -b "$1" ] || die "nbd made no $1"
	nbd-client -N sc -t "${2:-10}" 127.0.0.1 $NBD_PORT "$1" \
		>/tmp/nbd-client.out 2>&1 ||
		die "nbd-client $1: $(cat /tmp/nbd-client.out)"
	[ "$(blockdev --getsize64 "$1")" -gt 0 ] || die "$1 has no size after nbd-client"
}

# nbd_detach DEV: disconnect DEV (nbd-client -d); true if it said so.
nbd_detach() {
	nbd-client -d "$1" >/dev/null 2>&1
}

# nbd_connected DEV: true while DEV has a live connection to a server.
nbd_connected() {
	nbd-client -c "$1" >/dev/null 2>&1
}

# busybox sh runs its own applets before any file of the same name, and
# its tc has no netem: iproute2's is called by its path.

# nbd_netem DELAY: netem on lo's root delaying every packet by DELAY (a tc
# time: 500us, 1ms), so a round trip takes twice that more; 0 removes it.
nbd_netem() {
	if [ "$1" = 0 ]; then
		/usr/sbin/tc qdisc del dev lo root 2>/dev/null || true
		return 0
	fi
	/usr/sbin/tc qdisc replace dev lo root netem delay "$1" ||
		die "tc: cannot add netem delay $1 on lo"
}

# nbd_delay MS: MS milliseconds of delay each way on lo; 0 removes it.
nbd_delay() {
	if [ "$1" = 0 ]; then
		nbd_netem 0
	else
		nbd_netem "${1}ms"
	fi
}

# nbd_server_pids: the server's processes (the listener and one child per
# connection).
nbd_server_pids() {
	pidof nbd-server
}

# nbd_kill: the server dies as in a crash, SIGKILL to the listener and its
# connections' children; the kernel sees the sockets close.
nbd_kill() {
	_pids=$(nbd_server_pids) || return 0
	# shellcheck disable=SC2086 # several pids
	kill -KILL $_pids
	_n=0
	while nbd_server_pids >/dev/null; do
		_n=$((_n + 1))
		[ $_n -le 50 ] || die "nbd-server still runs 10 s after SIGKILL"
		sleep 0.2
	done
}

# nbd_down: disconnect every attached nbd device, stop the server, drop
# the delay.  For cleanup_all: never fails.
nbd_down() {
	for _d in /dev/nbd[0-9]*; do
		[ -b "$_d" ] || continue
		[ "$(cat "/sys/block/${_d#/dev/}/size")" != 0 ] && nbd_detach "$_d"
	done
	nbd_kill
	/usr/sbin/tc qdisc del dev lo root 2>/dev/null || true
	return 0
}

# nbd_compare_blocks TARGET ORIGIN EXTENTS: read the device ranges listed
# in EXTENTS (a file of sc_extents lines, "FILE_OFFSET DEVICE_OFFSET
# LENGTH") from TARGET with O_DIRECT, 4 KiB at a time, a block that fails
# to read taken as zeros, and from ORIGIN (the export's backing, readable
# without the network); compare them block by block.  Prints "SAME BAD
# ZERO": SAME blocks equal the origin's, BAD are neither the origin's bytes
# nor zeros, ZERO are zeros where the origin has other bytes (a failed
# read).  With the network gone, only the cache can have served a SAME
# block (of data that is not all zeros), and a BAD one is a cached block
# that is not what the origin holds.  (busybox has no split: cmp lists the
# bytes that differ, few when the two mostly agree.)
nbd_compare_blocks() {
	: >/tmp/cmp.t
	: >/tmp/cmp.o
	while read -r _ _do _len; do
		dd if="$1" bs=4096 skip=$((_do / 4096)) count=$((_len / 4096)) \
			iflag=direct conv=noerror,sync 2>/dev/null >>/tmp/cmp.t
		dd if="$2" bs=4096 skip=$((_do / 4096)) count=$((_len / 4096)) \
			2>/dev/null >>/tmp/cmp.o || die "cannot read $2"
	done <"$3"
	_size=$(stat -c %s /tmp/cmp.o)
	[ "$(stat -c %s /tmp/cmp.t)" = "$_size" ] ||
		die "read $(stat -c %s /tmp/cmp.t) bytes of $1, $_size of $2"
	# A target that read as zeros all through (every block failed) is
	# told apart first: it would differ from the origin in every byte.
	if cmp -s -n "$_size" /tmp/cmp.t /dev/zero; then
		echo 0 0 $((_size / 4096))
	else
		cmp -l /tmp/cmp.t /tmp/cmp.o | awk -v n=$((_size / 4096)) '
			{ b = int(($1 - 1) / 4096); differs[b] = 1 }
			$2 != 0 { bad[b] = 1 }
			END {
				for (b in differs) {
					d++
					if (b in bad) nbad++
				}
				print n - d, nbad + 0, d - nbad
			}'
	fi
	rm -f /tmp/cmp.t /tmp/cmp.o
}
