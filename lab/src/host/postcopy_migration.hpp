// A postcopy live migration for the lab's scenarios (QEMU
// docs/devel/migration/postcopy.rst): the destination QEMU starts beside
// the source, the migration switches to postcopy as soon as it runs, and
// the destination runs the guest while its RAM still arrives, each page it
// touches first fetched from the source through userfaultfd. The source
// must stay up until the stream is over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"
#include "qmp.hpp"

namespace lab {

/// What migrate_postcopy needs: the destination's command line (the
/// source's, listening with `-incoming <uri>`, postcopy allowed by
/// `-global migration.x-postcopy-ram=on`, its own QMP socket at
/// `qmp_path`), and the bandwidth of the postcopy stream in bytes a second
/// (pages the destination asks for are sent at once, outside it).
struct PostcopyPlan {
    std::vector<std::string> argv;
    std::string qmp_path;
    std::string uri;
    uint64_t postcopy_bytes_per_s = 0;
};

/// A migration destination's command line from the source's `argv`: its
/// guest-error log (`-D`) is `log`, and its QMP socket (`-qmp`) `qmp_path`
/// unless that is empty (a destination started after the source quit keeps
/// the socket). Its -incoming is the caller's to add.
std::vector<std::string> destination_argv(std::vector<std::string> argv, const std::string& log,
                                          const std::string& qmp_path);

/// The arguments that make `argv` (the source's) a postcopy destination
/// listening on `uri` with its QMP socket at `qmp_path`: destination_argv,
/// then the capability and -incoming.
std::vector<std::string> postcopy_destination_argv(const std::vector<std::string>& argv, const std::string& qmp_path,
                                                   const std::string& log, const std::string& uri);

/// Migrates the guest `child` runs (QMP session `source`) to `plan`'s
/// destination: starts it beside the source (Child::hand_over), enables
/// postcopy on the source, sets the stream's bandwidth, migrates, asks for
/// postcopy once the migration is active, and returns a QMP session on the
/// destination once the source says postcopy-active and the destination
/// runs. nullopt with `why` (the source's or destination's word) otherwise.
std::optional<Qmp> migrate_postcopy(Child& child, Qmp& source, const PostcopyPlan& plan, double timeout_s,
                                    std::string* why);

}  // namespace lab
