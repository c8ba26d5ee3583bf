# shellcheck shell=dash
# Scenario 9: the slow disk is a network block device (issue 17), with
# scripts/guest/bench/run's knobs NET_* (it sources this after file.sh and
# /tests/nbd.sh).  The origin: a null_blk completed inline, exported by
# nbd-server on 127.0.0.1 inside the guest and attached by nbd-client as
# /dev/nbd0, so the network and the server are the whole of its cost; netem
# on lo adds the delay.  netem delays every packet leaving lo, and a
# request and its reply each leave it once: a round-trip time of RTT is a
# delay of RTT/2 each way, which is what net_delay sets.  Each system runs
# scenarios 3 and 4 as file.sh has them (the warm-up passes, then the hot
# file read beside a backup and one more pass), fresh at every delay; the
# setup (mkfs, the files, the cache) runs with no delay, the measurement
# with it.  The raw SSD is measured once, with the same files: it does not
# depend on the network.

NET_DEV=/dev/nbd0

# net_origin MIB: a fresh null_blk of MIB served over loopback, attached as
# NET_DEV (requests time out after 30 s, far beyond any delay measured).
net_origin() {
	nullb fnet "$1" 0 >/tmp/net-origin || die "no origin device"
	nbd_serve "$(cat /tmp/net-origin)"
	nbd_attach $NET_DEV 30
}
net_origin_rm() {
	net_delay 0
	nbd_detach $NET_DEV || die "nbd-client -d $NET_DEV failed"
	nbd_kill
	nullb_rm fnet
}

# net_delay RTT_US: netem on lo's root for a round trip of RTT_US
# microseconds (RTT_US/2 each way, rounded down); 0: none.
net_delay() {
	if [ "$1" = 0 ]; then
		nbd_netem 0
		return 0
	fi
	nbd_netem "$(($1 / 2))us"
	/usr/sbin/tc qdisc show dev lo | grep -q ' delay ' || die "no netem delay on lo"
}

# net_ping RTT_US: the round trip the kernel's loopback now gives, as ping
# sees it (busybox ping, 5 echoes): one row, microseconds, the average.
net_ping() {
	local avg
	ping -c 5 -i 0.2 127.0.0.1 >/tmp/ping.out 2>&1 || die "ping 127.0.0.1: $(cat /tmp/ping.out)"
	avg=$(awk -F/ '/min\/avg\/max/ { print $4 * 1000 }' /tmp/ping.out)
	[ -n "$avg" ] || die "ping printed no round trip: $(cat /tmp/ping.out)"
	row netdirect lo ping_rtt "$1" "$avg" us
}

# net_direct SYSTEM DEV INDEX: O_DIRECT 4 KiB random reads of DEV's first
# NET_DIRECT_MIB, each block once (preread.fio): what one read costs the
# reader when it goes over the network (or to the raw SSD), without any
# cache or page cache in the way.
net_direct() {
	DEV=$2 OFFSET=0 SIZE=$((NET_DIRECT_MIB * M)) fio_run /tmp/direct.out preread.fio
	# shellcheck disable=SC2046 # fields, split on purpose
	set -- "$1" "$3" $(fio_stats /tmp/direct.out preread)
	row netdirect "$1" iops "$2" "$3" IOPS
	row netdirect "$1" clat_mean "$2" "$4" us
	row netdirect "$1" clat_p99 "$2" "$5" us
	log "net: $1 O_DIRECT 4 KiB reads at RTT $2 us: $3 IOPS, mean $4 us, p99 $5 us"
}

# scenario_net: scenario 9.  HOT_MIB, MEMCG_MIB and COLD_MIB (and the hot
# and cold sizes fio reads) are the NET_ ones while it runs.
scenario_net() {
	local saved="$HOT_MIB $MEMCG_MIB $COLD_MIB" us sys base=''
	# The backup's cgroup keeps scenario 4's limit: its 1 MiB read buffer
	# is charged to it.
	COLD_MEMCG_MIB=$MEMCG_MIB
	HOT_MIB=$NET_HOT_MIB MEMCG_MIB=$NET_MEMCG_MIB COLD_MIB=$((4 * NET_SSD_MIB))
	HOT_SIZE=$((HOT_MIB * M)) COLD_SIZE=$((COLD_MIB * M))
	log "net: hot ${HOT_MIB}M, cgroup ${MEMCG_MIB}M, SSD ${NET_SSD_MIB}M, backup ${COLD_MIB}M," \
		"round trips $NET_RTT_US us"

	log "net: raw-ssd: setup"
	fs_setup raw-ssd
	net_direct raw-ssd "$FS_SSD" 0
	WARM_SEC=netwarmssd
	scenario_warmup raw-ssd
	fs_teardown raw-ssd

	NET_ORIGIN=1
	for us in $(echo "$NET_RTT_US" | tr ',' ' '); do
		for sys in raw-nbd dm-cache bcache swapcache; do
			log "net: $sys at RTT $us us: setup"
			fs_setup $sys "$NET_SSD_MIB" "$COLD_MIB"
			settle $sys
			if [ $sys = raw-nbd ] && [ -z "$base" ]; then
				# What loopback and the server cost with no netem.
				net_ping 0
				net_direct raw-nbd "$FS_HDD" 0
				base=1
			fi
			net_delay "$us"
			if [ $sys = raw-nbd ]; then
				net_ping "$us"
				net_direct raw-nbd "$FS_HDD" "$us"
			fi
			WARM_SEC=netwarm$us
			scenario_warmup $sys
			if [ $sys != raw-nbd ]; then
				POLL_SEC=netpoll$us
				scenario_pollution $sys
			fi
			net_delay 0
			fs_teardown $sys
		done
	done
	# Back as the other scenarios have them (file.sh's functions and fio
	# read these).
	# shellcheck disable=SC2034
	NET_ORIGIN='' COLD_MEMCG_MIB='' WARM_SEC=warmup POLL_SEC=pollution
	# shellcheck disable=SC2086 # fields, split on purpose
	set -- $saved
	HOT_MIB=$1 MEMCG_MIB=$2 COLD_MIB=$3
	# shellcheck disable=SC2034
	HOT_SIZE=$((HOT_MIB * M)) COLD_SIZE=$((COLD_MIB * M))
}
