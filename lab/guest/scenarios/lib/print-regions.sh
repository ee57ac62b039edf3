# shellcheck shell=sh
# The boot memory regions the kernel registered, as its debugfs shows them (arch/powerpc/kernel/fadump.c fadump_region_show: one "DUMP: Src: ..." line per boot memory region).
sed -n '/./s/^/FADUMP-LAB: region /p' /sys/kernel/debug/powerpc/fadump_region
lab "report boot_memory_regions $(grep -c 'DUMP: Src' /sys/kernel/debug/powerpc/fadump_region)"
