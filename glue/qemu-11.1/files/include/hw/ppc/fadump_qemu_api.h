/*
 * QEMU 11.1's names for what the shared fadump glue (glue/shared) uses:
 * the headers that moved between QEMU releases and the calls whose
 * names or arguments changed. Each glue directory (glue/qemu-VERSION)
 * has its own copy of this header; the glue's C files are the same for
 * every version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_FADUMP_QEMU_API_H
#define HW_PPC_FADUMP_QEMU_API_H

#include "system/address-spaces.h"
#include "system/memory.h"
#include "system/ramblock.h"
#include "exec/tb-flush.h"
#include "hw/core/boards.h"
#include "hw/core/irq.h"
#include "hw/core/loader.h"

/* The header that declares the target's HMP "info" handlers. */
#define FADUMP_QEMU_HMP_HEADER "monitor/hmp.h"

/*
 * Drop every translated block now, from a vCPU inside start_exclusive()
 * with every vCPU stopped.
 */
static inline void fadump_tb_flush_exclusive(CPUState *cs)
{
    tb_flush__exclusive_or_serial();
}

/* The size of a file in bytes, or a negative value when it cannot be read. */
static inline int64_t fadump_image_size(const char *filename)
{
    return get_image_size(filename, NULL);
}

#endif
