// The platform side of pseries firmware-assisted dump: the
// ibm,configure-kernel-dump state machine, the dump on ibm,os-term and the
// /rtas properties (LoPAR "ibm,configure-kernel-dump", "ibm,os-term",
// appendix "Firmware Assisted Dump Data Format").
//
// States: Idle -> (REGISTER) Registered -> (os-term) Dumping -> DumpActive
// -> (INVALIDATE) Idle. A reset other than the dump reboot drops a
// registration; an active dump survives until invalidated.
// Not thread-safe: the VMM serialises calls (QEMU: under the BQL).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fadump/guest_memory.hpp"
#include "fadump/papr/fdm.hpp"
#include "fadump/preserve.hpp"
#include "fadump/result.hpp"
#include "fadump/vcpu.hpp"

namespace fadump::papr {

enum class Command : uint32_t { Register = 1, Unregister = 2, Invalidate = 3 };

/// Outcome of one dump.
struct DumpOutcome {
    uint64_t bytes_preserved = 0;
    uint64_t preserve_ns = 0;
    uint32_t sections_ok = 0;
    uint32_t sections_failed = 0;
    uint32_t cpus_saved = 0;
    std::string problems;  // empty when every section succeeded
};

class SpaprFadump {
public:
    struct Config {
        uint64_t ram_size = 0;
        uint64_t rmr_size = 0;
        uint32_t max_threads = 1;
    };
    explicit SpaprFadump(const Config& cfg);

    /// ibm,configure-kernel-dump(cmd, addr, len). Errors: ParamError,
    /// HardwareError, DumpAlreadyRegistered, DumpActive, Busy (during a dump, or after one failed until the reset).
    [[nodiscard]] Result<void> configure(GuestMemory& mem, uint32_t cmd, GuestAddr addr, ByteLen len);

    /// ibm,os-term entry: true (and state Dumping) when a dump is registered.
    [[nodiscard]] bool begin_dump();
    /// Performs the dump; requires begin_dump() returned true and all vCPUs
    /// stopped. Every section is attempted; failures are flagged per section.
    /// `hpt`: the guest's hash page table as the platform holds it (outside
    /// guest RAM; empty for a radix guest), copied into an HPTE section.
    DumpOutcome dump(GuestMemory& mem, std::span<const VcpuState> cpus, std::span<const std::byte> hpt = {});
    /// The hash page table's size in bytes (0: radix, or none), advertised
    /// in ibm,configure-kernel-dump-sizes and the most an HPTE section may
    /// request. The VMM sets it when the MMU mode or the HPT changes (at
    /// reset and at client-architecture-support).
    void set_hpt_size(uint64_t bytes) { m_hpt_bytes = bytes; }
    /// What every reset reloads into guest RAM (the -kernel image, the
    /// -initrd): a destination overlapping one is refused at REGISTER and on
    /// a migration's arrival (ParamError). At most MAX_RELOAD_RANGES; false
    /// (nothing changed) for more.
    bool set_reload(std::span<const GuestRange> ranges);
    [[nodiscard]] uint64_t hpt_size() const { return m_hpt_bytes; }
    /// The page moves dump() decided on (preserve.hpp, DeferredMoves): the
    /// VMM runs them at the start of the dump reboot's machine reset, before
    /// its devices reset and its firmware is reloaded. Returns the bytes.
    uint64_t finish_moves(GuestMemory& mem) { return m_moves.run(mem); }
    /// Machine reset: true when it is the memory-preserving dump reboot.
    bool reset();

    [[nodiscard]] uint64_t ram_size() const { return m_cfg.ram_size; }
    [[nodiscard]] uint32_t max_threads() const { return m_cfg.max_threads; }
    [[nodiscard]] bool registered() const { return m_state == State::Registered; }
    [[nodiscard]] bool dump_active() const { return m_state == State::DumpActive; }
    [[nodiscard]] bool dumping() const { return m_state == State::Dumping; }
    /// The dump stopped on an internal error (no section results to trust);
    /// the next reset drops the registration.
    [[nodiscard]] bool dump_failed() const { return m_state == State::DumpFailed; }
    /// A dump begun (begin_dump) that could not run (the VMM failed before
    /// or inside dump()): DumpFailed, which the next reset drops.
    void abandon_dump()
    {
        if (m_state == State::Dumping) {
            m_state = State::DumpFailed;
        }
    }
    /// The registration with the platform's results (operators' view);
    /// nullptr when idle.
    [[nodiscard]] const Registration* registration() const { return m_reg ? &*m_reg : nullptr; }
    /// The fdm bytes as the guest registered them (empty when none is held).
    [[nodiscard]] std::vector<std::byte> registered_fdm() const;
    [[nodiscard]] uint64_t reboot_limit() const;
    [[nodiscard]] uint64_t cpu_state_bytes() const;

    /// Migration (papr/migration_state.hpp): true while there is state a
    /// migration must carry (a registration, a dump under way or active).
    [[nodiscard]] bool state_needed() const { return m_state != State::Idle; }
    /// The state to send. Errors: Busy while a dump is under way or its
    /// reboot is still pending (the migration must fail; it can be retried
    /// once the reboot has happened, milliseconds later); ParamError when
    /// there is nothing to carry (Idle).
    [[nodiscard]] Result<std::vector<std::byte>> save_state() const;
    /// Takes a state from save_state, possibly another host's: hostile until
    /// the fdm passed REGISTER's validation against this engine's machine
    /// and the results agree with it. Errors: ParamError with the reason;
    /// the engine is then Idle (never half loaded).
    [[nodiscard]] Result<void> load_state(std::span<const std::byte> blob, GuestMemory* mem = nullptr);
    /// Forgets any registration or dump (a snapshot that carried none).
    void clear();

    /// /rtas property values (big-endian).
    [[nodiscard]] std::vector<std::byte> prop_sizes() const;
    [[nodiscard]] static std::vector<std::byte> prop_version();
    /// The fdm with platform status, while a dump is active.
    [[nodiscard]] std::optional<std::vector<std::byte>> prop_kernel_dump() const;

private:
    enum class State { Idle, Registered, Dumping, DumpFailed, DumpActive };
    [[nodiscard]] FdmLimits limits() const;

    Config m_cfg;
    State m_state = State::Idle;
    bool m_reboot_pending = false;
    uint64_t m_hpt_bytes = 0;
    std::array<GuestRange, MAX_RELOAD_RANGES> m_reload{};
    size_t m_nreload = 0;
    std::optional<Registration> m_reg;
    DeferredMoves m_moves;
};

}  // namespace fadump::papr
