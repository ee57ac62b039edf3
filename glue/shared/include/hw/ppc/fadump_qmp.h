/*
 * QMP query-fadump, HMP info fadump and the FADUMP_* events: what the
 * pseries and PowerNV glue report to operators.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_PPC_FADUMP_QMP_H
#define HW_PPC_FADUMP_QMP_H

#include "qapi/qapi-types-fadump-target.h"
#include "fadump-engine.h"

/* A dump starts (every vCPU about to stop): FADUMP_DUMP_STARTED. */
void fadump_qmp_dump_started(const char *platform, const char *trigger);
/*
 * The dump is taken: remembered as the machine's last dump (query-fadump
 * "last-dump") and sent as FADUMP_DUMP_COMPLETED.
 */
void fadump_qmp_dump_completed(const FadumpDumpStats *stats);
/* The last dump, copied for a FadumpInfo (NULL when there was none). */
FadumpDump *fadump_qmp_last_dump(void);

#endif
