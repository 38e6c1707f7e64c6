/*
 * clock.c: real and virtual clocks.
 */
#include "clock.h"

#include <stdio.h>
#include <time.h>

void clock_init_real(stratus_clock *c)
{
    c->is_virtual = 0;
    c->virtual_ms = 0;
}

void clock_init_virtual(stratus_clock *c, int64_t start_ms)
{
    c->is_virtual = 1;
    c->virtual_ms = start_ms;
}

int64_t clock_now_ms(const stratus_clock *c)
{
    if (c->is_virtual)
        return c->virtual_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_advance_to(stratus_clock *c, int64_t ms)
{
    if (c->is_virtual && ms > c->virtual_ms)
        c->virtual_ms = ms;
}

void clock_format_iso(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char base[24];

    gmtime_r(&secs, &tm);
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%s.%03dZ", base, (int)(ms % 1000));
}
