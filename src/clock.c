#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */

#include "clock.h"

#include <errno.h>
#include <time.h>

double cams_monotonic(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cams_sleep(double seconds) {
  struct timespec req, rem;
  if (!(seconds > 0)) return;
  req.tv_sec = (time_t)seconds;
  req.tv_nsec = (long)((seconds - (double)req.tv_sec) * 1e9);
  if (req.tv_nsec >= 1000000000L) req.tv_nsec = 999999999L;
  while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}
