// What dumpdtb's blob holds (the lab's qmp.dumpdtb check).
#include <gtest/gtest.h>
#include <libfdt.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "device_tree.hpp"

namespace {

std::string write_tree(bool with_prop)
{
    std::vector<char> buf(4096);
    EXPECT_EQ(fdt_create_empty_tree(buf.data(), static_cast<int>(buf.size())), 0);
    const int opal = fdt_add_subnode(buf.data(), 0, "ibm,opal");
    const int dump = fdt_add_subnode(buf.data(), opal, "dump");
    EXPECT_GE(dump, 0);
    if (with_prop) {
        EXPECT_EQ(fdt_setprop(buf.data(), dump, "mpipl-boot", nullptr, 0), 0);
    }
    const auto path = std::filesystem::temp_directory_path() /
                      ("fadump-dt-" + std::to_string(getpid()) + (with_prop ? "-with.dtb" : "-without.dtb"));
    std::ofstream(path, std::ios::binary).write(buf.data(), fdt_totalsize(buf.data()));
    return path.string();
}

}  // namespace

TEST(DeviceTree, TellsWhetherTheBootsPropertyIsThere)
{
    std::string err;
    const std::string with = write_tree(true);
    const std::string without = write_tree(false);
    EXPECT_EQ(lab::dtb_has_property(with, "/ibm,opal/dump", "mpipl-boot", &err), std::optional<bool>(true));
    EXPECT_EQ(lab::dtb_has_property(without, "/ibm,opal/dump", "mpipl-boot", &err), std::optional<bool>(false));
    EXPECT_FALSE(lab::dtb_has_property(with, "/rtas", "ibm,kernel-dump", &err));
    EXPECT_NE(err.find("no node /rtas"), std::string::npos) << err;
    std::ofstream(without, std::ios::binary | std::ios::trunc) << "not a device tree";
    EXPECT_FALSE(lab::dtb_has_property(without, "/ibm,opal/dump", "mpipl-boot", &err));
    EXPECT_NE(err.find("not a valid device tree"), std::string::npos) << err;
    std::filesystem::remove(with);
    std::filesystem::remove(without);
}
