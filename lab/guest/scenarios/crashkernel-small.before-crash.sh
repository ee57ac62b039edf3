# shellcheck shell=sh
# The smallest boot memory.
# shellcheck source=lib/print-regions.sh
. /scenario/lib/print-regions.sh
