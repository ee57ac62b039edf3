#include "fadump/opal/thread_regs.hpp"

#include <array>
#include <cstring>

namespace fadump::opal {
namespace {

constexpr uint32_t SPR_XER = 1, SPR_LR = 8, SPR_CTR = 9, SPR_DSCR = 17, SPR_DSISR = 18, SPR_DAR = 19,
                   SPR_DEC = 22, SPR_SRR0 = 26, SPR_SRR1 = 27, SPR_CFAR = 28, SPR_AMR = 29, SPR_PID = 48,
                   SPR_IAMR = 61, SPR_FSCR = 153, SPR_UAMOR = 157, SPR_DAWR0 = 180, SPR_CIABR = 187,
                   SPR_DAWRX0 = 188, SPR_HFSCR = 190, SPR_TB = 268, SPR_SPRG0 = 272, SPR_SPRG1 = 273,
                   SPR_SPRG2 = 274, SPR_SPRG3 = 275, SPR_PVR = 287, SPR_HSPRG0 = 304, SPR_HSPRG1 = 305,
                   SPR_HDSISR = 306, SPR_HDAR = 307, SPR_HSRR0 = 314, SPR_HSRR1 = 315, SPR_LPCR = 318,
                   SPR_LPIDR = 319, SPR_HMER = 336, SPR_HMEER = 337, SPR_TIR = 446, SPR_PTCR = 464,
                   SPR_TAR = 815, SPR_PSSCR = 855, SPR_PIR = 1023;

constexpr uint32_t SPRS[] = {
    SPR_CTR,    SPR_LR,     SPR_XER,    SPR_DAR,   SPR_DSISR,  SPR_SRR0,   SPR_SRR1,   SPR_CFAR,
    SPR_DSCR,   SPR_AMR,    SPR_IAMR,   SPR_UAMOR, SPR_PID,    SPR_SPRG0,  SPR_SPRG1,  SPR_SPRG2,
    SPR_SPRG3,  SPR_HSPRG0, SPR_HSPRG1, SPR_HDSISR, SPR_HDAR,  SPR_HSRR0,  SPR_HSRR1,  SPR_LPCR,
    SPR_LPIDR,  SPR_PTCR,   SPR_HMER,   SPR_HMEER, SPR_PVR,    SPR_PIR,    SPR_TAR,    SPR_FSCR,
    SPR_HFSCR,  SPR_CIABR,  SPR_DAWR0,  SPR_DAWRX0, SPR_PSSCR, SPR_TIR,    SPR_DEC,    SPR_TB,
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

std::span<const ThreadRegDef> thread_register_table() { return TABLE; }

uint64_t thread_register_value(const ThreadRegDef& def, const VcpuState& cpu)
{
    if (def.type == REG_TYPE_GPR) {
        return cpu.gpr[def.num % 32];
    }
    switch (def.num) {
    case REG_ID_NIP: return cpu.nia;
    case REG_ID_MSR: return cpu.msr;
    case REG_ID_CR: return cpu.cr;
    case SPR_CTR: return cpu.ctr;
    case SPR_LR: return cpu.lr;
    case SPR_XER: return cpu.xer;
    case SPR_CFAR: return cpu.cfar;
    case SPR_DEC: return cpu.dec;
    case SPR_TB: return cpu.tb;
    case SPR_PIR: return cpu.pir;
    default: return cpu.spr[def.num % 1024];
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
    h.core_state = 0;   // running; 0x0F would mark an inactive core
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
