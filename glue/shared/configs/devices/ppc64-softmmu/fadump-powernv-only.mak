# A ppc64 QEMU with PowerNV and without pseries (scripts/build-qemu --only
# powernv): proves the fadump glue links with one platform.
include ../ppc-softmmu/default.mak
CONFIG_PSERIES=n
