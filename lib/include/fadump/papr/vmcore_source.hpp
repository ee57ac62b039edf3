// Where an active pseries dump's vmcore comes from: the registration with
// the platform's results, the crash info header, the register save area and
// VMCOREINFO as preserved (issue 23: the platform's own vmcore).
//
// Follows Linux arch/powerpc/platforms/pseries/rtas-fadump.c
// (rtas_fadump_get_config: the boot memory regions are the RMR sections, the
// crash info header lies right after their destinations, the reserved area
// starts at the CPU state data's destination; rtas_fadump_process: a
// section with error flags makes the dump invalid) and
// arch/powerpc/kernel/fadump.c (fadump_populate_elfcorehdr).
#pragma once

#include <cstdint>
#include <span>

#include "fadump/guest_memory.hpp"
#include "fadump/papr/fdm.hpp"
#include "fadump/result.hpp"
#include "fadump/vmcore/vmcore_layout.hpp"

namespace fadump::papr {

/// The plan of the vmcore the capture kernel will export from the dump
/// `reg` describes (its sections carry the platform's results), reading
/// guest memory once, after the dump's moves ran: the crash info header
/// (vmcore/crash_info.hpp) at the RMR destination plus the boot memory's
/// size, the register save area (at most the size for `max_threads`
/// threads: the platform wrote no more), VMCOREINFO (at most 64 KiB + 36).
/// `ram` is the guest's memory with its NUMA nodes (each node's RAM, each
/// DIMM), merged as the kernel's memblock would (memblock_ranges, NUMA or
/// not as VMCOREINFO says). Host memory used is bounded by
/// max_threads and constants, never by a guest value.
/// Errors (ParamError, the message saying why): no RMR starting at 0, no
/// CPU state data section, a section with error flags (the capture kernel
/// would refuse the dump), any check of crash_info.hpp or cpu_notes.hpp;
/// HardwareError: guest memory that could not be read.
[[nodiscard]] Result<vmcore::VmcorePlan> plan_vmcore(GuestMemory& mem, const Registration& reg,
                                                     std::span<const vmcore::NodeRange> ram, uint32_t max_threads);

}  // namespace fadump::papr
