# shellcheck shell=sh
# The host adds a DIMM (QMP object-add, device_add); waits until the memory is online.
lab host-step
for _ in $(seq 120); do grep -q 'MemTotal: *[3-9][0-9]\{6\} kB' /proc/meminfo && break; sleep 0.5; done
lab "report memtotal $(sed -n 's/MemTotal: *//p' /proc/meminfo)"
