# A ppc64 QEMU with pseries and without PowerNV (scripts/build-qemu --only
# pseries): proves the fadump glue links with one platform.
include ../ppc-softmmu/default.mak
CONFIG_POWERNV=n
