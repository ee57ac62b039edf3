#include <gtest/gtest.h>

#include <algorithm>

#include "qemu_command_line.hpp"
#include "run_options.hpp"

TEST(SmpSpec, CountsCpusLikeQemu)
{
    EXPECT_EQ(lab::smp_cpus("2"), 2u);
    EXPECT_EQ(lab::smp_cpus("4,maxcpus=8"), 4u);
    EXPECT_EQ(lab::smp_cpus("cpus=3,maxcpus=4"), 3u);
    EXPECT_EQ(lab::smp_cpus("sockets=1,cores=2,threads=2"), 4u);
    EXPECT_FALSE(lab::smp_cpus("maxcpus=4"));
}

TEST(MemSpec, ParsesQemuSizes)
{
    EXPECT_EQ(lab::mem_bytes("2G"), 2ULL << 30);
    EXPECT_EQ(lab::mem_bytes("1536M"), 1536ULL << 20);
    EXPECT_EQ(lab::mem_bytes("4096"), 4096ULL << 20);
    EXPECT_FALSE(lab::mem_bytes("lots"));
}

TEST(OptionSpecs, HugeNumbersAreRejectedNotThrownOrWrapped)
{
    EXPECT_FALSE(lab::smp_cpus("99999999999999999999"));
    EXPECT_FALSE(lab::smp_cpus("cpus=4294967296"));
    EXPECT_FALSE(lab::smp_cpus("sockets=65536,cores=65536,threads=2"));
    EXPECT_FALSE(lab::mem_bytes("99999999999999999999G"));
    EXPECT_FALSE(lab::mem_bytes("17179869184G"));  // 2^64 bytes
}

TEST(RunnerQemuLine, MachineOptionPerPlatformFirmwareAndQemu)
{
    const std::string caps = "pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off";
    const lab::OurProperties ours{.truth = "/r/gt.cbor", .export_dir = "/r/export", .zero_copy = true};
    EXPECT_EQ(lab::machine_option("pseries", "vof", ours, ""),
              caps + ",x-vof=on,x-fadump-ground-truth=/r/gt.cbor,fadump-export=/r/export");
    const lab::OurProperties copying{.truth = "/r/gt.cbor", .export_dir = "", .zero_copy = false};
    EXPECT_EQ(lab::machine_option("pseries", "slof", copying, ",memory-backend=m0"),
              caps + ",x-fadump-ground-truth=/r/gt.cbor,x-fadump-zero-copy=off,memory-backend=m0");
    // Another QEMU has no ground truth, export or zero-copy switch.
    EXPECT_EQ(lab::machine_option("pseries", "vof", std::nullopt, ""), caps + ",x-vof=on");
    // PowerNV exports the MPIPL's vmcore too.
    EXPECT_EQ(lab::machine_option("powernv10", "vof", ours, ""),
              "powernv10,x-fadump-ground-truth=/r/gt.cbor,fadump-export=/r/export");
}

TEST(RunnerQemuLine, KernelCommandLineInOrder)
{
    lab::Scenario sc;
    sc.fadump_arg = "fadump=nocma";
    sc.append = "panic=1";
    EXPECT_EQ(lab::kernel_append(sc, false, ""), "console=hvc0 fadump=nocma panic=1");
    EXPECT_EQ(lab::kernel_append(sc, true, "quiet"),
              std::string("console=hvc0 fadump=nocma panic=1 ") + "fadump_lab_capture=makedumpfile quiet");
    sc.fadump_arg.clear();
    sc.append.clear();
    EXPECT_EQ(lab::kernel_append(sc, false, ""), "console=hvc0");
}

TEST(RunnerQemuLine, DisksPerPlatform)
{
    const auto ps = lab::disk_args(false, "/r/vmcore", "/r/state", "/r/pnor.bin", "/r/opalcore");
    EXPECT_EQ(ps.front(), "-nodefaults");
    EXPECT_NE(std::find(ps.begin(), ps.end(), "virtio-blk-pci,drive=d0,serial=vmcore"), ps.end());
    EXPECT_EQ(std::find(ps.begin(), ps.end(), "file=/r/pnor.bin,format=raw,if=mtd"), ps.end());
    const auto nv = lab::disk_args(true, "/r/vmcore", "/r/state", "/r/pnor.bin", "/r/opalcore");
    EXPECT_EQ(std::find(nv.begin(), nv.end(), "-nodefaults"), nv.end());  // PowerNV keeps its PHBs
    EXPECT_NE(std::find(nv.begin(), nv.end(), "file=/r/pnor.bin,format=raw,if=mtd"), nv.end());
    EXPECT_NE(std::find(nv.begin(), nv.end(), "virtio-blk-pci,drive=d1,bus=pcie.1,addr=0x0,serial=opalcore"), nv.end());
}

TEST(RunnerQemuLine, AGuestOnItsOwnDiskHasThatDiskOnly)
{
    const auto d = lab::root_disk_args("/r/rootfs.img");
    EXPECT_EQ(d.front(), "-nodefaults");
    EXPECT_NE(std::find(d.begin(), d.end(), "file=/r/rootfs.img,format=raw,if=none,id=d0"), d.end());
    EXPECT_EQ(std::count_if(d.begin(), d.end(), [](const std::string& a) { return a == "-drive"; }), 1);
    EXPECT_EQ(lab::join_words(lab::disk_root_args("/dev/vda2"), ""), "root=/dev/vda2 rw rootwait");
    EXPECT_EQ(lab::join_words("", "quiet"), "quiet");
    EXPECT_EQ(lab::join_words("a", "b"), "a b");
}
