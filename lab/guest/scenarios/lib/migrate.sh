# shellcheck shell=sh
# Asks the host to live-migrate the guest and waits for it (powers off when it never comes).
lab migrate
host_wait migrated || poweroff -f
lab "migrated"
