// A disk behind a vhost-user back-end (vhost_user_disk.hpp).
#include "vhost_user_disk.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace lab {

namespace fs = std::filesystem;

std::vector<std::string> VhostUserDisk::backend_argv(const std::string& backend, const std::string& image,
                                                     const std::string& socket)
{
    return {backend, "--socket-path", socket, "--blk-file", image, "--read-only"};
}

std::unique_ptr<VhostUserDisk> VhostUserDisk::start(const std::string& backend, const std::string& image,
                                                    const std::string& socket, const std::string& log, double timeout_s,
                                                    std::string* err)
{
    std::error_code ec;
    fs::remove(socket, ec);
    auto child = Child::spawn(backend_argv(backend, image, socket), log, false, err);
    if (!child) {
        *err = "cannot start the vhost-user back-end " + backend + ": " + *err;
        return nullptr;
    }
    const auto t0 = std::chrono::steady_clock::now();
    while (!fs::exists(socket, ec)) {
        int status = 0;
        if (child->wait_exit(0, &status)) {
            const auto& l = child->lines();
            *err = "the vhost-user back-end exited: " + (l.empty() ? std::string("no output") : l.back());
            return nullptr;
        }
        if (std::chrono::steady_clock::now() - t0 > std::chrono::duration<double>(timeout_s)) {
            *err = fmt::format("the vhost-user back-end made no socket {} within {:.1f} s", socket, timeout_s);
            return nullptr;
        }
        child->wait_for({}, {}, 0.05);
    }
    return std::unique_ptr<VhostUserDisk>(new VhostUserDisk(std::move(*child), socket));
}

std::vector<std::string> VhostUserDisk::qemu_args(const std::string& bus) const
{
    return {"-chardev", "socket,id=vhostuser0,path=" + m_socket, "-device",
            "vhost-user-blk-pci,chardev=vhostuser0,num-queues=1" + (bus.empty() ? "" : "," + bus)};
}

}  // namespace lab
