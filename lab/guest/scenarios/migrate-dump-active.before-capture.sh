# shellcheck shell=sh
# The capture kernel is migrated before it saves anything.
# shellcheck source=lib/migrate.sh
. /scenario/lib/migrate.sh
