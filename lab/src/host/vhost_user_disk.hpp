// A disk the guest reads through a vhost-user back-end: QEMU's reference
// back-end contrib/vhost-user-blk (built beside our qemu-system-ppc64 by
// scripts/build-qemu) serves a read-only image over a Unix socket, and
// QEMU's vhost-user-blk-pci device hands the guest's virtqueue to it. The
// back-end reads into guest memory itself (vhost-user needs shared guest
// RAM: a memfd backend), outside QEMU's block layer, so the machine stop
// for a dump must quiesce it through the protocol: GET_VRING_BASE stops the
// ring, and a stopped device writes no guest memory
// (docs/interop/vhost-user.rst, "Ring states", "Suspended device state").
//
// Why not qemu-storage-daemon's vhost-user-blk export: it breaks that rule
// (QEMU 7.2 to 11.1, libvhost-user replies to GET_VRING_BASE with requests
// still in flight, completes them later into guest memory and then panics
// on the ring's closed call eventfd), so any stop longer than a request
// (`stop`, a migration, a dump) loses its connection; docs/qemu.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace lab {

class VhostUserDisk {
public:
    /// The back-end's arguments: `backend` (the vhost-user-blk binary)
    /// serves `image` read-only on `socket`.
    static std::vector<std::string> backend_argv(const std::string& backend, const std::string& image,
                                                 const std::string& socket);
    /// Starts the back-end (its output into `log`) and waits up to
    /// `timeout_s` for its socket; nullptr with `err` saying why when it
    /// exits first or makes no socket in time.
    static std::unique_ptr<VhostUserDisk> start(const std::string& backend, const std::string& image,
                                                const std::string& socket, const std::string& log, double timeout_s,
                                                std::string* err);
    /// QEMU's arguments for the device on this disk (`bus`: where it goes,
    /// "" for the machine's default): one queue, as the back-end serves.
    [[nodiscard]] std::vector<std::string> qemu_args(const std::string& bus) const;

private:
    VhostUserDisk(Child backend, std::string socket) : m_backend(std::move(backend)), m_socket(std::move(socket)) {}
    std::optional<Child> m_backend;
    std::string m_socket;
};

}  // namespace lab
