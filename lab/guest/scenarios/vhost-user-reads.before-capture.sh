# shellcheck shell=sh
# The capture kernel reads the whole vhost-user disk through the restarted back-end.
vu=$(disk vhost_user_blk)
want=$(( $(cat /sys/block/${vu##*/}/size) * 512 ))
got=$(dd if=$vu bs=256k iflag=direct 2>/dev/null | wc -c)
lab "report vhost_user_capture_read $got of $want"
