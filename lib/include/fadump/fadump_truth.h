/*
 * fadump_truth.h: the ground truth of the fadump lab, recorded by the VMM
 * when the vCPUs stop for a dump (testing only: the QEMU glue takes it when
 * the machine property x-fadump-ground-truth names a file). Not part of the
 * dump: the lab compares the vmcore with it, register by register and page
 * by page. Uses the types of fadump.h.
 */
#ifndef FADUMP_FADUMP_TRUTH_H
#define FADUMP_FADUMP_TRUTH_H

#include "fadump.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Ground truth for the lab, in two steps around the dump:
 * fadump_ground_truth_take records, at the instant the vCPUs stopped and
 * before any preservation, the index of the vCPU that triggered the dump,
 * every vCPU's registers and the XXH3-128 hash of every
 * 4 KiB page of guest RAM, [0, ram_size) (timed on its own). fadump_ground_truth_finish adds
 * the dump's statistics and the fdm as registered and as reported back, and
 * returns the document as CBOR bytes (malloc'ed: free with free(); *len
 * set to their count), consuming `gt`.
 * Both return NULL on failure. Layout: see fadump/ground_truth.hpp.
 * Implemented by libfadump_truth.a, beside libfadump.a (links nlohmann-json
 * and libxxhash; the engine links neither).
 */
typedef struct FadumpGroundTruth FadumpGroundTruth;
FadumpGroundTruth* fadump_ground_truth_take(const FadumpGuestOps* ops, uint64_t ram_size, const FadumpVcpuRegs* vcpus,
                                            size_t n_vcpus, uint32_t trigger_cpu_index) FADUMP_NOEXCEPT;
/* Records named guest ranges in the ground truth (e.g. "firmware_ranges"). */
void fadump_ground_truth_note_ranges(FadumpGroundTruth* gt, const char* key, const FadumpRange* ranges,
                                     size_t n) FADUMP_NOEXCEPT;
void* fadump_ground_truth_finish(FadumpGroundTruth* gt, const FadumpSpapr* fd, const FadumpDumpStats* stats,
                                 size_t* len) FADUMP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* FADUMP_FADUMP_TRUTH_H */
