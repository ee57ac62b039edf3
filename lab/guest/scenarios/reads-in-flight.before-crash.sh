# shellcheck shell=sh
# A direct read of the throttled disk is in flight at the crash.
slow=$(disk slow)
while :; do dd if=$slow of=/dev/null bs=256k iflag=direct 2>/tmp/slow.err; done &
sleep 3
read -r reads _ < /sys/block/${slow##*/}/inflight
lab "report reads_in_flight $reads"
