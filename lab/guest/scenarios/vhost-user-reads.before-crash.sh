# shellcheck shell=sh
# Reads of the vhost-user disk without pause up to the crash.
vu=$(disk vhost_user_blk)
lab "report vhost_user_disk ${vu:-none}"
while :; do dd if=$vu of=/dev/null bs=256k iflag=direct 2>/dev/null; done &
sleep 2
read -r r0 _ < /sys/block/${vu##*/}/stat
sleep 1
read -r r1 _ < /sys/block/${vu##*/}/stat
lab "report vhost_user_reads_last_second $((r1 - r0))"
