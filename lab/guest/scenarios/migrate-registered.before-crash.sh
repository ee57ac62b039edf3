# shellcheck shell=sh
# Registered, then migrated: the crash happens on the destination.
# shellcheck source=lib/migrate.sh
. /scenario/lib/migrate.sh
