# shellcheck shell=sh
# A background snapshot is written while the guest crashes.
# shellcheck source=lib/fill-64-mib.sh
. /scenario/lib/fill-64-mib.sh
lab host-step
sleep 2
