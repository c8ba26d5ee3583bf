#!/bin/sh
# The network origin disconnected under the target (nbd-client -d, as an
# administrator or a failing session would) while the thread writes
# clusters and O_DIRECT reads run through the target, on ext4 and on XFS:
# the same checks as t-91 (see nbd_outage in nbd-outage.sh).
# shellcheck source=lib.sh
. /tests/lib.sh
# shellcheck source=sc.sh
. /tests/sc.sh
# shellcheck source=nbd.sh
. /tests/nbd.sh
# shellcheck source=nbd-outage.sh
. /tests/nbd-outage.sh

nbd_outage_run disconnect
