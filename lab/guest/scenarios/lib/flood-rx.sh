# shellcheck shell=sh
# Brings the flooded NIC up and reports the frames it received.
for n in /sys/class/net/*; do [ -e $n/device ] && ip link set ${n##*/} up; done
sleep 2
rx=0; for n in /sys/class/net/*; do [ -e $n/device ] && rx=$((rx + $(cat $n/statistics/rx_packets))); done
lab "report rx_packets $rx"
