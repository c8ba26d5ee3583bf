#!/bin/sh
# The network origin's server killed (SIGKILL: the kernel sees the
# connection close, and fails the requests in flight after nbd-client's 2 s
# timeout) while the thread writes clusters and O_DIRECT reads run through
# the target, on ext4 and on XFS: the cache keeps serving exactly the
# origin's bytes, caches nothing from a failed read, the thread neither
# hangs nor stops, the target is removed with the origin gone, and a fresh
# attach finds the files intact.  See nbd_outage in nbd-outage.sh.
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=nbd.sh
. /tests/nbd.sh
# shellcheck source=nbd-outage.sh
. /tests/nbd-outage.sh

nbd_outage_run kill
