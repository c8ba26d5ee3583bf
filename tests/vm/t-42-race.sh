#!/bin/sh
# Never stale, under a race: a writer that verifies what it reads back, and
# warm looping over the same blocks.  A cluster read before a write and
# entered into the map after it would be served to the verifier as old data.
#
# The verifier is the only reader, so read_hits counts its reads alone: each
# follows its own write of the block, which dropped the block from the map,
# so a hit is a read of a block warm cached again around that write, the
# only read that can see stale data.  The test fails unless there were such
# hits, and writes that dropped cached blocks, or it would pass without
# having raced.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh

load_swapcache
sc_ramdisks 64
sc_create sc /dev/ram0 /dev/ram1
dev=/dev/mapper/sc
M=1048576
echo 1 >$P/read_enable
ROUNDS=${SC_RACE_ROUNDS:-150}

sc_fill $dev 0 $((8 * M)) 0xaa
h0=$(sc_status_field sc read_hits)
inv0=$(sc_status_field sc invalidated)
# Each block is rewritten many times; verify_backlog makes fio read back
# what it just wrote while warm keeps re-caching the same 8 MiB.
fio --name=race --filename=$dev --rw=randwrite --bs=4k --size=$((8 * M)) \
	--loops=40 --direct=1 --verify=crc32c --verify_backlog=8 \
	--verify_fatal=1 --randrepeat=0 --output-format=terse \
	>/tmp/race.out 2>&1 &
writer=$!

i=0
while [ $i -lt "$ROUNDS" ] && kill -0 $writer 2>/dev/null; do
	dmsetup message sc 0 warm 0 $((8 * 2048)) || die "warm #$i"
	i=$((i + 1))
done
wait $writer || die "the writer read stale data: $(cat /tmp/race.out)"

hits=$(($(sc_status_field sc read_hits) - h0))
inv=$(($(sc_status_field sc invalidated) - inv0))
echo "$i warm rounds; verifying reads served from the SSD: $hits," \
	"cached blocks dropped by its writes: $inv"
[ $i -ge 20 ] || die "only $i warm rounds ran during the writes"
[ "$hits" -gt 0 ] || die "no verifying read was served from the SSD: no race"
[ "$inv" -gt 0 ] || die "no write met a cached block: no race"
dmsetup remove sc
