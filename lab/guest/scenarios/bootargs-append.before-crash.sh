# shellcheck shell=sh
# Arguments for the capture kernel's command line.
echo 'fadump_lab_marker=bootargs-append-ok' > /sys/kernel/fadump/bootargs_append
lab "report bootargs_append $(cat /sys/kernel/fadump/bootargs_append)"
