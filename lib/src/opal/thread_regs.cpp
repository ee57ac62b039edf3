#include "fadump/opal/thread_regs.hpp"

#include <array>
#include <cstring>

#include "fadump/spr.hpp"

namespace fadump::opal {
namespace {

constexpr uint32_t SPRS[] = {
    spr::CTR,   spr::LR,     spr::XER,    spr::DAR,    spr::DSISR, spr::SRR0,  spr::SRR1,  spr::CFAR,
    spr::DSCR,  spr::AMR,    spr::IAMR,   spr::UAMOR,  spr::PID,   spr::SPRG0, spr::SPRG1, spr::SPRG2,
    spr::SPRG3, spr::HSPRG0, spr::HSPRG1, spr::HDSISR, spr::HDAR,  spr::HSRR0, spr::HSRR1, spr::LPCR,
    spr::LPIDR, spr::PTCR,   spr::HMER,   spr::HMEER,  spr::PVR,   spr::PIR,   spr::TAR,   spr::FSCR,
    spr::HFSCR, spr::CIABR,  spr::DAWR0,  spr::DAWRX0, spr::PSSCR, spr::TIR,   spr::DEC,   spr::TB,
};
constexpr size_t N_SPRS = sizeof(SPRS) / sizeof(SPRS[0]);
constexpr size_t N_REGS = 32 + N_SPRS + 3;

constexpr std::array<ThreadRegDef, N_REGS> build()
{
    std::array<ThreadRegDef, N_REGS> t{};
    size_t k = 0;
    for (uint32_t i = 0; i < 32; ++i) {
        t[k++] = {REG_TYPE_GPR, i};
    }
    for (uint32_t s : SPRS) {
        t[k++] = {REG_TYPE_SPR, s};
    }
    t[k++] = {REG_TYPE_SPR, REG_ID_NIP};
    t[k++] = {REG_TYPE_SPR, REG_ID_MSR};
    t[k++] = {REG_TYPE_SPR, REG_ID_CR};
    return t;
}

constexpr auto TABLE = build();

}  // namespace

std::span<const ThreadRegDef> thread_register_table()
{
    return TABLE;
}

uint64_t thread_register_value(const ThreadRegDef& def, const VcpuState& cpu)
{
    if (def.type == REG_TYPE_GPR) {
        return cpu.gpr[def.num % 32];
    }
    switch (def.num) {
        case REG_ID_NIP:
            return cpu.nia;
        case REG_ID_MSR:
            return cpu.msr;
        case REG_ID_CR:
            return cpu.cr;
        case spr::CTR:
            return cpu.ctr;
        case spr::LR:
            return cpu.lr;
        case spr::XER:
            return cpu.xer;
        case spr::CFAR:
            return cpu.cfar;
        case spr::DEC:
            return cpu.dec;
        case spr::TB:
            return cpu.tb;
        case spr::PIR:
            return cpu.pir;
        default:
            return cpu.spr[def.num % 1024];
    }
}

uint32_t thread_data_size()
{
    return static_cast<uint32_t>(sizeof(ThreadHeader) + TABLE.size() * sizeof(ThreadRegEntry));
}

bool write_thread_data(std::span<std::byte> out, const VcpuState& cpu)
{
    if (out.size() < thread_data_size()) {
        return false;
    }
    ThreadHeader h{};
    h.pir = cpu.pir;
    h.core_state = 0;  // running; 0x0F would mark an inactive core
    h.offset = THREAD_ENTRY_OFFSET;
    h.ecnt = static_cast<uint32_t>(TABLE.size());
    h.esize = sizeof(ThreadRegEntry);
    h.eactsz = sizeof(ThreadRegEntry);
    std::memcpy(out.data(), &h, sizeof h);
    size_t off = sizeof h;
    for (const auto& d : TABLE) {
        ThreadRegEntry e{};
        e.reg_type = d.type;
        e.reg_num = d.num;
        e.reg_val = thread_register_value(d, cpu);
        std::memcpy(out.data() + off, &e, sizeof e);
        off += sizeof e;
    }
    return true;
}

}  // namespace fadump::opal
