/*
 * clock.h: the one source of time for an instance.
 *
 * A real clock follows the system's wall clock. A virtual clock starts at a
 * given time and moves only through clock_advance_to, which the scenario
 * runner calls to skip to the next due job or to advance by a set time.
 */
#ifndef STRATUS_CLOCK_H
#define STRATUS_CLOCK_H

#include <stdint.h>

typedef struct stratus_clock {
    int is_virtual;
    int64_t virtual_ms; /* current time of a virtual clock, epoch ms */
} stratus_clock;

void clock_init_real(stratus_clock *c);
void clock_init_virtual(stratus_clock *c, int64_t start_ms);

/* Milliseconds since the Unix epoch on this clock. */
int64_t clock_now_ms(const stratus_clock *c);

/* Move a virtual clock forward to `ms` (never backward); no-op when real. */
void clock_advance_to(stratus_clock *c, int64_t ms);

/* Format `ms` as ISO-8601 UTC with milliseconds ("2026-01-02T03:04:05.678Z").
 */
void clock_format_iso(int64_t ms, char out[32]);

#endif
