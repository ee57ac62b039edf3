#include "qemu_command_line.hpp"

#include "makedumpfile_capture.hpp"

namespace lab {

std::string machine_option(const std::string& machine, const std::string& firmware,
                           const std::optional<OurProperties>& ours, const std::string& shape_suffix)
{
    std::string m = machine;
    const bool pnv = machine.rfind("powernv", 0) == 0;
    if (!pnv) {
        m = "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off";
        if (firmware == "vof") {
            m += ",x-vof=on";
        }
    }
    if (ours) {
        m += ",x-fadump-ground-truth=" + ours->truth;
        if (!ours->export_dir.empty()) {
            m += ",fadump-export=" + ours->export_dir;
        }
        if (!ours->zero_copy) {
            m += ",x-fadump-zero-copy=off";  // on is QEMU's default: left to it
        }
    }
    return m + shape_suffix;
}

std::string kernel_append(const Scenario& sc, bool makedumpfile, const std::string& extra)
{
    std::string append = "console=hvc0";
    for (const auto* more : {&sc.fadump_arg, &sc.append}) {
        if (!more->empty()) {
            append += " " + *more;
        }
    }
    if (makedumpfile) {
        append += std::string(" ") + MAKEDUMPFILE_CAPTURE_ARG;
    }
    if (!extra.empty()) {
        append += " " + extra;
    }
    return append;
}

std::vector<std::string> disk_args(bool pnv, const std::string& vmcore, const std::string& state,
                                   const std::string& pnor, const std::string& opalcore)
{
    if (!pnv) {
        return {"-nodefaults",
                "-serial",
                "stdio",
                "-drive",
                "file=" + vmcore + ",format=raw,if=none,id=d0",
                "-device",
                "virtio-blk-pci,drive=d0,serial=vmcore",
                "-drive",
                "file=" + state + ",format=raw,if=none,id=d2",
                "-device",
                "virtio-blk-pci,drive=d2,serial=state"};
    }
    // PHBs are default devices on PowerNV: keep the defaults, drop the NIC
    // and monitor.
    return {"-nic",     "none",
            "-monitor", "none",
            "-serial",  "stdio",
            "-drive",   "file=" + pnor + ",format=raw,if=mtd",
            "-drive",   "file=" + vmcore + ",format=raw,if=none,id=d0",
            "-device",  "virtio-blk-pci,drive=d0,bus=pcie.0,addr=0x0,serial=vmcore",
            "-drive",   "file=" + opalcore + ",format=raw,if=none,id=d1",
            "-device",  "virtio-blk-pci,drive=d1,bus=pcie.1,addr=0x0,serial=opalcore",
            "-drive",   "file=" + state + ",format=raw,if=none,id=d2",
            "-device",  "virtio-blk-pci,drive=d2,bus=pcie.2,addr=0x0,serial=state"};
}

std::vector<std::string> root_disk_args(const std::string& image)
{
    return {"-nodefaults",
            "-serial",
            "stdio",
            "-drive",
            "file=" + image + ",format=raw,if=none,id=d0",
            "-device",
            "virtio-blk-pci,drive=d0,serial=root"};
}

std::string disk_root_args(const std::string& device)
{
    return "root=" + device + " rw rootwait";
}

std::string join_words(const std::string& a, const std::string& b)
{
    return a.empty() ? b : b.empty() ? a : a + " " + b;
}

}  // namespace lab
