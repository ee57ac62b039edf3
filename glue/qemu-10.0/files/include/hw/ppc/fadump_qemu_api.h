/*
 * QEMU 10.0's names for what the shared fadump glue (glue/shared) uses:
 * the headers that moved between QEMU releases and the calls whose
 * names or arguments changed. Each glue directory (glue/qemu-VERSION)
 * has its own copy of this header; the glue's C files are the same for
 * every version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_FADUMP_QEMU_API_H
#define HW_PPC_FADUMP_QEMU_API_H

#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "exec/ramblock.h"
#include "exec/cpu-common.h"
#include "exec/tb-flush.h"
#include "hw/boards.h"
#include "hw/irq.h"
#include "hw/loader.h"

/* The header that declares the target's HMP "info" handlers. */
#define FADUMP_QEMU_HMP_HEADER "monitor/hmp-target.h"

/*
 * Drop every translated block now, from a vCPU inside start_exclusive()
 * with every vCPU stopped: 10.0's tb_flush() flushes at once in an
 * exclusive context.
 */
static inline void fadump_tb_flush_exclusive(CPUState *cs)
{
    tb_flush(cs);
}

/* The size of a file in bytes, or a negative value when it cannot be read. */
static inline int64_t fadump_image_size(const char *filename)
{
    return get_image_size(filename);
}

#endif
