/* Monotonic time and sleeping, for rate limiting and retry backoff outside nginx. */
#ifndef CAMS_CLOCK_H
#define CAMS_CLOCK_H

/* Seconds from an arbitrary fixed point; never goes backwards. */
double cams_monotonic(void);
/* Sleeps for the given seconds (resumes after signals); negative means 0. */
void cams_sleep(double seconds);

#endif
