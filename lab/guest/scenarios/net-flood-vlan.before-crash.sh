# shellcheck shell=sh
# Host frames flood spapr-vlan through the crash.
# shellcheck source=lib/flood-rx.sh
. /scenario/lib/flood-rx.sh
