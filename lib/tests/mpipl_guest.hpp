// A guest laid out as skiboot and a Linux kernel leave it for an MPIPL:
// the addresses the MPIPL tests share and the MDST/MDDT entries skiboot
// writes (include/opal-dump.h).
#pragma once

#include <cstdint>

#include "fadump/opal/mpipl_tables.hpp"
#include "fake_guest.hpp"

namespace fadump::test::mpipl {

inline constexpr uint64_t RAM = 1ULL << 30;
inline constexpr uint64_t BASE = 0x30000000;  // skiboot's relocated base
inline constexpr uint64_t OPAL_DEST = 0x32000000;
inline constexpr uint64_t OPAL_SIZE = 0x1C10000 + 0x20000;
inline constexpr uint64_t REGS = 0x34000000;   // the register data area
inline constexpr uint64_t KDEST = 0x38000000;  // the kernel's boot memory copy

/// MDST or MDDT (`table`: MDST_OFF, MDDT_OFF) entry `i`, HRMOR bit set as
/// skiboot sets it.
inline void entry(FakeGuest& g, uint64_t table, size_t i, uint64_t addr, uint8_t region, uint32_t size)
{
    opal::MdstEntry e{};
    e.addr = addr | opal::HRMOR_BIT;
    e.data_region = region;
    e.size = size;
    g.put(BASE + table + i * sizeof(opal::MdstEntry), e);
}

}  // namespace fadump::test::mpipl
