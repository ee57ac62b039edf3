# shellcheck shell=sh
# Host frames flood virtio-net through the crash.
# shellcheck source=lib/flood-rx.sh
. /scenario/lib/flood-rx.sh
