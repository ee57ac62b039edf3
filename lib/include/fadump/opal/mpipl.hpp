// The platform side of PowerNV memory-preserving IPL (MPIPL): the SBE's
// stash chip-op and S0 interrupt, and the SBE + hostboot work at S0 —
// preserve every MDST range into its MDDT destination, write the MDRT and
// the architected register data, and tell the next boot it is an MPIPL boot.
//
// Sources: skiboot doc/mpipl.rst, core/opal-dump.c, hw/sbe-p9.c,
// include/opal-dump.h, include/mem-map.h; Linux
// arch/powerpc/platforms/powernv/opal-fadump.[ch].
//
// States: Idle -(stash key 3)-> Stashed -(S0)-> Dumping -(dump)-> Done
// -(reset)-> Idle. Every reset forgets the stash (the next skiboot stashes
// again). Not thread-safe: the VMM serialises calls (QEMU: the BQL).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/opal/mpipl_tables.hpp"
#include "fadump/opal/vmcore_source.hpp"
#include "fadump/preserve.hpp"
#include "fadump/result.hpp"
#include "fadump/vcpu.hpp"

namespace fadump::opal {

/// Chips whose SBE keeps a stash.
inline constexpr uint32_t MAX_CHIPS = 8;

/// SBE chip-op STASH_MPIPL_CONFIG keys (hw/sbe-p9.h).
inline constexpr uint64_t STASH_KEY_SKIBOOT_BASE = 0x03;

struct MpiplOutcome {
    uint64_t bytes_preserved = 0;
    uint64_t preserve_ns = 0;
    uint32_t ranges_ok = 0;
    uint32_t ranges_failed = 0;
    uint32_t kernel_ranges_failed = 0;
    uint32_t threads_saved = 0;
    bool mpipl_boot = false;  // the next boot will see mpipl-boot
    std::string problems;     // why an entry or the boot was refused
};

class Mpipl {
public:
    struct Config {
        uint64_t ram_size = 0;
        uint32_t chips = 1;
    };
    explicit Mpipl(const Config& cfg);

    /// STASH_MPIPL_CONFIG from chip `chip`. Key 0x03 records the relocated
    /// skiboot base after checking that skiboot's tables fit in RAM
    /// (ParamError otherwise); other keys are accepted without effect.
    [[nodiscard]] Result<void> stash(uint32_t chip, uint64_t key, uint64_t value);

    /// S0 interrupt on chip `chip`: MPIPL starts now when a base was
    /// stashed and no MPIPL is under way. Errors: Busy (an MPIPL is under
    /// way), ParamError (no skiboot base stashed: MPIPL not configured),
    /// each with the reason; the SBE then ignores the interrupt.
    [[nodiscard]] Result<void> s0(uint32_t chip);

    /// The SBE + hostboot work, with every vCPU stopped. `reload` lists what
    /// the reset reloads (firmware, kernel, initrd, FDT); no destination may
    /// overlap it, another destination or its own source. A destination may
    /// lie in another entry's source (a kernel boot memory past 768 MiB
    /// holds skiboot's dump area): that entry is copied first, so every
    /// source is preserved as it was when the CPUs stopped; entries that
    /// would each have to go first are refused. The MDRT lists what was
    /// preserved in table order.
    MpiplOutcome dump(GuestMemory& mem, std::span<const VcpuState> threads, std::span<const GuestRange> reload);

    /// The page moves dump() decided on (preserve.hpp, DeferredMoves): the
    /// VMM runs them at the start of the MPIPL's machine reset, before its
    /// devices reset and the firmware, kernel and initrd are reloaded.
    /// Returns the bytes.
    uint64_t finish_moves(GuestMemory& mem) { return m_moves.run(mem); }

    /// After the reset reloaded the firmware image at `fw_load_addr`: writes
    /// the processor dump area the next skiboot reads (at the unrelocated
    /// image address) and returns true when this boot is an MPIPL boot.
    bool reset(GuestMemory& mem, uint64_t fw_load_addr);

    [[nodiscard]] uint64_t ram_size() const { return m_cfg.ram_size; }
    [[nodiscard]] bool dumping() const { return m_state == State::Dumping; }
    /// The dump ran and its IPL (the machine's reset) has not: the SBE
    /// ignores S0 until the machine boots again (s0() refuses it).
    [[nodiscard]] bool ipl_pending() const { return m_state == State::Done; }
    [[nodiscard]] uint32_t chips() const { return m_cfg.chips; }
    /// skiboot's base as chip `chip`'s SBE keeps it (operators' view).
    [[nodiscard]] std::optional<uint64_t> stash_of(uint32_t chip) const
    {
        return chip < m_base.size() ? m_base[chip] : std::nullopt;
    }
    /// Memory the firmware owns and rewrites across the MPIPL, as seen by the
    /// last dump: skiboot's own ranges (regions below 0x80) and their
    /// destinations, the register data area and the MDRT. Its pre-crash
    /// content is preserved through the OPAL ranges, not in place.
    [[nodiscard]] const std::vector<GuestRange>& firmware_ranges() const { return m_firmware; }
    [[nodiscard]] std::optional<uint64_t> stashed_base() const;
    /// What the last dump that leads to an MPIPL boot preserved (its MDRT
    /// kernel and OPAL memory entries, the register data, skiboot's
    /// crashing PIR and boot entry at S0), for the host-side vmcore
    /// (vmcore_source.hpp: none when `kernel` is empty, skiboot's own region
    /// alone) and OPAL core (opal_core.hpp); kept until the next S0.
    [[nodiscard]] const std::optional<DumpRecord>& last_dump() const { return m_last; }
    /// Whether last_dump()'s memory is still preserved for the guest: this
    /// boot is the MPIPL boot (no reset and no S0 since), and the MDRT the
    /// dump wrote is still there as written: skiboot clears it when the
    /// capture kernel releases the preserved memory
    /// (OPAL_MPIPL_FREE_PRESERVED_MEMORY, core/opal-dump.c), a call the
    /// platform does not see. False when memory cannot be read.
    [[nodiscard]] bool dump_preserved(GuestMemory& mem) const;

private:
    enum class State { Idle, Dumping, Done };
    Config m_cfg;
    State m_state = State::Idle;
    std::array<std::optional<uint64_t>, MAX_CHIPS> m_base{};  // per chip
    uint64_t m_dump_base = 0;
    bool m_next_boot_mpipl = false;
    ProcDumpArea m_proc_area{};  // what the next boot must find
    std::vector<GuestRange> m_firmware;
    DeferredMoves m_moves;
    std::optional<DumpRecord> m_last;
    std::vector<MdrtEntry> m_mdrt;  // as the last dump wrote it
    GuestAddr m_mdrt_at;
    bool m_live = false;  // the MPIPL boot of m_last runs
};

}  // namespace fadump::opal
