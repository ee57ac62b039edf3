# shellcheck shell=sh
# Fills 64 MiB of page cache with non-zero bytes (/tmp/fill): a migration or snapshot stream has pages to carry.
echo fadump-lab > /tmp/fill.1
for _ in $(seq 16); do cat /tmp/fill.1 /tmp/fill.1 > /tmp/fill.2; mv /tmp/fill.2 /tmp/fill.1; done
for _ in $(seq 93); do cat /tmp/fill.1; done > /tmp/fill
lab "report filled_kib $(($(wc -c < /tmp/fill) / 1024))"
