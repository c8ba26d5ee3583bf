#!/bin/sh
# Never stale, under a race: writers that verify what they read back, and
# warm looping over the same blocks.  A cluster read before a write and
# entered into the map after it would be served to the verifier as old data.
. /tests/lib.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
sc_create sc /dev/ram0 /dev/ram1
dev=/dev/mapper/sc
M=1048576
echo 1 >$P/read_enable
ROUNDS=${SC_RACE_ROUNDS:-150}

sc_fill $dev 0 $((8 * M)) 0xaa
# Each block is rewritten many times; verify_backlog makes fio read back
# what it just wrote while warm keeps re-caching the same 8 MiB.
fio --name=race --filename=$dev --rw=randwrite --bs=4k --size=$((8 * M)) \
	--loops=40 --direct=1 --verify=crc32c --verify_backlog=8 \
	--verify_fatal=1 --randrepeat=0 --output-format=terse \
	>/tmp/race.out 2>&1 &
writer=$!
fio --name=readers --filename=$dev --rw=randread --bs=16k \
	--size=$((8 * M)) --direct=1 --time_based --runtime=3600 \
	--output-format=terse >/dev/null 2>&1 &
reader=$!

i=0
while [ $i -lt "$ROUNDS" ] && kill -0 $writer 2>/dev/null; do
	dmsetup message sc 0 warm 0 $((8 * 2048)) || die "warm #$i"
	i=$((i + 1))
done
kill $reader
wait $writer || die "the writer read stale data: $(cat /tmp/race.out)"

hits=$(sc_status_field sc read_hits)
inv=$(sc_status_field sc invalidated)
echo "$i warm rounds; read_hits=$hits invalidated=$inv"
[ $i -ge 20 ] || die "only $i warm rounds ran during the writes"
[ "$hits" -gt 0 ] || die "no read was served from the SSD: no race"
[ "$inv" -gt 0 ] || die "no write met a cached block: no race"
dmsetup remove sc
