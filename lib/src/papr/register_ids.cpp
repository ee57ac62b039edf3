#include "fadump/papr/register_ids.hpp"

#include <array>

#include "fadump/endian.hpp"

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

// Named SPRs by architected SPR number (Power ISA v3.1 SPR list; QEMU
// target/ppc/cpu.h SPR_* numbers).
struct NamedSpr {
    const char* name;
    uint16_t spr;
};
constexpr NamedSpr NAMED_SPRS[] = {
    {"DAR", 19},     {"DSISR", 18},   {"SRR0", 26},    {"SRR1", 27},    {"SPRG0", 272}, {"SPRG1", 273},
    {"SPRG2", 274},  {"SPRG3", 275},  {"PVR", 287},    {"DSCR", 17},    {"AMR", 29},    {"IAMR", 61},
    {"UAMOR", 157},  {"PID", 48},     {"TAR", 815},    {"FSCR", 153},   {"PSPB", 159},  {"CTRL", 152},
    {"PURR", 309},   {"SPURR", 308},  {"DAWR0", 180},  {"DAWRX0", 188}, {"CIABR", 187}, {"EBBHR", 804},
    {"EBBRR", 805},  {"BESCR", 806},  {"MMCR0", 795},  {"MMCR1", 798},  {"MMCR2", 785}, {"MMCRA", 786},
    {"PMC1", 787},   {"PMC2", 788},   {"PMC3", 789},   {"PMC4", 790},   {"PMC5", 791},
    {"PIMC6", 792},  // sic: LoPAR's catalogue spells PMC6 this way
    {"SIAR", 796},   {"SDAR", 797},   {"SIER", 784},   {"DPDES", 176},  {"PSSCR", 855},
    {"TIR", 446},    {"RPR", 186},    {"VRSAVE", 256}, {"TFHAR", 128}, {"TFIAR", 129},
    {"TEXASR", 130},
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
static_assert(TABLE[0].id == 0x4750523030000000ULL);    // GPR00
static_assert(TABLE[31].id == 0x4750523331000000ULL);   // GPR31
static_assert(TABLE[32].id == 0x4E49410000000000ULL);   // NIA
static_assert(TABLE[N_TOTAL - 1].id == ascii_id("VSR63_LO"));

}  // namespace

std::span<const RegisterDef> register_table() { return TABLE; }

uint64_t register_value(const RegisterDef& def, const VcpuState& cpu)
{
    const uint16_t i = def.index;
    switch (def.source) {
    case RegSource::Gpr: return cpu.gpr[i % 32];
    case RegSource::Fpr: return cpu.fpr[i % 32];
    case RegSource::VsrLo: return cpu.vsrl[i % 32];
    case RegSource::VrHi: return cpu.vr[i % 32][0];
    case RegSource::VrLo: return cpu.vr[i % 32][1];
    case RegSource::Nia: return cpu.nia;
    case RegSource::Msr: return cpu.msr;
    case RegSource::Cr: return cpu.cr;
    case RegSource::Ctr: return cpu.ctr;
    case RegSource::Lr: return cpu.lr;
    case RegSource::Xer: return cpu.xer;
    case RegSource::Fpscr: return cpu.fpscr;
    case RegSource::Vscr: return cpu.vscr;
    case RegSource::Cfar: return cpu.cfar;
    case RegSource::Tb: return cpu.tb;
    case RegSource::Dec: return cpu.dec;
    case RegSource::Pir: return cpu.pir;
    case RegSource::Spr: return cpu.spr[i % 1024];
    }
    return 0;
}

}  // namespace fadump::papr
