# shellcheck shell=sh
# Postcopy: the guest crashes on the destination while its RAM still arrives.
# shellcheck source=lib/fill-64-mib.sh
. /scenario/lib/fill-64-mib.sh
# shellcheck source=lib/migrate.sh
. /scenario/lib/migrate.sh
