# shellcheck shell=sh
# What the capture kernel's fadump_region says was dumped (the HPTE section).
[ -r /sys/kernel/debug/powerpc/fadump_region ] && sed -n '/./s/^/FADUMP-LAB: dumped /p' /sys/kernel/debug/powerpc/fadump_region
