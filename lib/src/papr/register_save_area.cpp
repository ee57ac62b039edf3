#include "fadump/papr/register_save_area.hpp"

#include <cstring>

#include "fadump/papr/register_ids.hpp"

namespace fadump::papr {

size_t entries_per_cpu()
{
    return register_table().size() + 2;
}

uint64_t cpu_state_size(uint32_t threads)
{
    return sizeof(RegSaveHeader) + uint64_t{threads} * entries_per_cpu() * sizeof(RegEntry);
}

bool write_register_save_area(std::span<std::byte> out, std::span<const VcpuState> cpus)
{
    if (cpus.size() > UINT32_MAX || out.size() < cpu_state_size(static_cast<uint32_t>(cpus.size()))) {
        return false;
    }
    RegSaveHeader h{};
    h.magic = REGSAVE_MAGIC;
    h.version = 0;
    h.num_cpus_offset = REGSAVE_NUM_CPUS_OFFSET;
    h.num_cpus = static_cast<uint32_t>(cpus.size());
    std::memcpy(out.data(), &h, sizeof(h));
    size_t off = sizeof(h);
    auto put = [&](uint64_t id, uint64_t value) {
        RegEntry e;
        e.id = id;
        e.value = value;
        std::memcpy(out.data() + off, &e, sizeof(e));
        off += sizeof(e);
    };
    for (const VcpuState& cpu : cpus) {
        put(ID_CPUSTRT, cpu.logical_id);
        for (const RegisterDef& def : register_table()) {
            put(def.id, register_value(def, cpu));
        }
        put(ID_CPUEND, cpu.logical_id);
    }
    std::memset(out.data() + off, 0, out.size() - off);
    return true;
}

}  // namespace fadump::papr
