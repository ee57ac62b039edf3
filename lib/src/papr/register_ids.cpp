#include "fadump/papr/register_ids.hpp"

#include <array>

#include "fadump/endian.hpp"
#include "fadump/spr.hpp"

namespace fadump::papr {
namespace {

// "GPR" + two decimal digits (+ suffix), as the catalogue spells them.
constexpr uint64_t indexed(const char* prefix, int n, const char* suffix = "")
{
    char buf[9] = {};
    int p = 0;
    for (; prefix[p] != '\0'; ++p) {
        buf[p] = prefix[p];
    }
    buf[p++] = static_cast<char>('0' + n / 10);
    buf[p++] = static_cast<char>('0' + n % 10);
    for (int s = 0; suffix[s] != '\0' && p < 8; ++s) {
        buf[p++] = suffix[s];
    }
    return ascii_id(buf);
}

// Named SPRs by architected SPR number (fadump/spr.hpp).
struct NamedSpr {
    const char* name;
    uint16_t spr;
};
constexpr NamedSpr NAMED_SPRS[] = {
    {"DAR", spr::DAR},       {"DSISR", spr::DSISR},
    {"SRR0", spr::SRR0},     {"SRR1", spr::SRR1},
    {"SPRG0", spr::SPRG0},   {"SPRG1", spr::SPRG1},
    {"SPRG2", spr::SPRG2},   {"SPRG3", spr::SPRG3},
    {"PVR", spr::PVR},       {"DSCR", spr::DSCR},
    {"AMR", spr::AMR},       {"IAMR", spr::IAMR},
    {"UAMOR", spr::UAMOR},   {"PID", spr::PID},
    {"TAR", spr::TAR},       {"FSCR", spr::FSCR},
    {"PSPB", spr::PSPB},     {"CTRL", spr::CTRL},
    {"PURR", spr::PURR},     {"SPURR", spr::SPURR},
    {"DAWR0", spr::DAWR0},   {"DAWRX0", spr::DAWRX0},
    {"CIABR", spr::CIABR},   {"EBBHR", spr::EBBHR},
    {"EBBRR", spr::EBBRR},   {"BESCR", spr::BESCR},
    {"MMCR0", spr::MMCR0},   {"MMCR1", spr::MMCR1},
    {"MMCR2", spr::MMCR2},   {"MMCRA", spr::MMCRA},
    {"PMC1", spr::PMC1},     {"PMC2", spr::PMC2},
    {"PMC3", spr::PMC3},     {"PMC4", spr::PMC4},
    {"PMC5", spr::PMC5},     {"PIMC6", spr::PMC6},  // sic: LoPAR's catalogue spells PMC6 this way
    {"SIAR", spr::SIAR},     {"SDAR", spr::SDAR},
    {"SIER", spr::SIER},     {"DPDES", spr::DPDES},
    {"PSSCR", spr::PSSCR},   {"TIR", spr::TIR},
    {"RPR", spr::RPR},       {"VRSAVE", spr::VRSAVE},
    {"TFHAR", spr::TFHAR},   {"TFIAR", spr::TFIAR},
    {"TEXASR", spr::TEXASR},
};

constexpr size_t N_NAMED = sizeof(NAMED_SPRS) / sizeof(NAMED_SPRS[0]);
constexpr size_t N_FIXED = 32 /*GPR*/ + 7 /*NIA MSR CR CTR LR XER CFAR*/ + 4 /*TB DEC PIR FPSCR*/ + 1 /*VSCR*/;
constexpr size_t N_TOTAL = N_FIXED + N_NAMED + 32 /*FPR*/ + 64 /*VR hi/lo*/ + 128 /*VSR hi/lo*/;

constexpr std::array<RegisterDef, N_TOTAL> build_table()
{
    std::array<RegisterDef, N_TOTAL> t{};
    size_t k = 0;
    for (int i = 0; i < 32; ++i) {
        t[k++] = {indexed("GPR", i), RegSource::Gpr, static_cast<uint16_t>(i)};
    }
    t[k++] = {ascii_id("NIA"), RegSource::Nia, 0};
    t[k++] = {ascii_id("MSR"), RegSource::Msr, 0};
    t[k++] = {ascii_id("CR"), RegSource::Cr, 0};
    t[k++] = {ascii_id("CTR"), RegSource::Ctr, 0};
    t[k++] = {ascii_id("LR"), RegSource::Lr, 0};
    t[k++] = {ascii_id("XER"), RegSource::Xer, 0};
    t[k++] = {ascii_id("CFAR"), RegSource::Cfar, 0};
    t[k++] = {ascii_id("TB"), RegSource::Tb, 0};
    t[k++] = {ascii_id("DEC"), RegSource::Dec, 0};
    t[k++] = {ascii_id("PIR"), RegSource::Pir, 0};
    for (const auto& s : NAMED_SPRS) {
        t[k++] = {ascii_id(s.name), RegSource::Spr, s.spr};
    }
    for (int i = 0; i < 32; ++i) {
        t[k++] = {indexed("FPR", i), RegSource::Fpr, static_cast<uint16_t>(i)};
    }
    t[k++] = {ascii_id("FPSCR"), RegSource::Fpscr, 0};
    for (int i = 0; i < 32; ++i) {
        t[k++] = {indexed("VR", i, "_HI"), RegSource::VrHi, static_cast<uint16_t>(i)};
        t[k++] = {indexed("VR", i, "_LO"), RegSource::VrLo, static_cast<uint16_t>(i)};
    }
    t[k++] = {ascii_id("VSCR"), RegSource::Vscr, 0};
    for (int i = 0; i < 64; ++i) {
        const bool low_half = i < 32;
        const auto idx = static_cast<uint16_t>(low_half ? i : i - 32);
        t[k++] = {indexed("VSR", i, "_HI"), low_half ? RegSource::Fpr : RegSource::VrHi, idx};
        t[k++] = {indexed("VSR", i, "_LO"), low_half ? RegSource::VsrLo : RegSource::VrLo, idx};
    }
    return t;
}

constexpr auto TABLE = build_table();
static_assert(TABLE[0].id == 0x4750523030000000ULL);   // GPR00
static_assert(TABLE[31].id == 0x4750523331000000ULL);  // GPR31
static_assert(TABLE[32].id == 0x4E49410000000000ULL);  // NIA
static_assert(TABLE[N_TOTAL - 1].id == ascii_id("VSR63_LO"));

}  // namespace

std::span<const RegisterDef> register_table()
{
    return TABLE;
}

uint64_t register_value(const RegisterDef& def, const VcpuState& cpu)
{
    const uint16_t i = def.index;
    switch (def.source) {
        case RegSource::Gpr:
            return cpu.gpr[i % 32];
        case RegSource::Fpr:
            return cpu.fpr[i % 32];
        case RegSource::VsrLo:
            return cpu.vsrl[i % 32];
        case RegSource::VrHi:
            return cpu.vr[i % 32][0];
        case RegSource::VrLo:
            return cpu.vr[i % 32][1];
        case RegSource::Nia:
            return cpu.nia;
        case RegSource::Msr:
            return cpu.msr;
        case RegSource::Cr:
            return cpu.cr;
        case RegSource::Ctr:
            return cpu.ctr;
        case RegSource::Lr:
            return cpu.lr;
        case RegSource::Xer:
            return cpu.xer;
        case RegSource::Fpscr:
            return cpu.fpscr;
        case RegSource::Vscr:
            return cpu.vscr;
        case RegSource::Cfar:
            return cpu.cfar;
        case RegSource::Tb:
            return cpu.tb;
        case RegSource::Dec:
            return cpu.dec;
        case RegSource::Pir:
            return cpu.pir;
        case RegSource::Spr:
            return cpu.spr[i % spr::COUNT];
    }
    return 0;
}

}  // namespace fadump::papr
