# shellcheck shell=sh
# The host adds a core (QMP device_add); waits until it is online.
lab host-step
for _ in $(seq 120); do [ "$(cat /sys/devices/system/cpu/online)" = 0-2 ] && break; sleep 0.5; done
lab "cpus-online $(cat /sys/devices/system/cpu/online)"
