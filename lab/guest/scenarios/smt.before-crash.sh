# shellcheck shell=sh
# Two of four threads offline.
echo 0 > /sys/devices/system/cpu/cpu1/online
echo 0 > /sys/devices/system/cpu/cpu3/online
lab "cpus-online $(cat /sys/devices/system/cpu/online)"
lab "report cpus_offline $(cat /sys/devices/system/cpu/offline)"
