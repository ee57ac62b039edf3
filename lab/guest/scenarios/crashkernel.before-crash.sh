# shellcheck shell=sh
# Two boot memory regions.
# shellcheck source=lib/print-regions.sh
. /scenario/lib/print-regions.sh
