# shellcheck shell=sh
# Unregister and register again (SUSE's kdump).
echo 0 > /sys/kernel/fadump/registered
lab "reregister step=unregistered registered=$(cat /sys/kernel/fadump/registered)"
echo 1 > /sys/kernel/fadump/registered
lab "reregister step=registered registered=$(cat /sys/kernel/fadump/registered)"
