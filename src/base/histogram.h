/* A fixed-bucket histogram of the Prometheus kind: counts of observations at or below
 * each bound, their number and their sum. Loop thread only; no allocation. */
#ifndef JG_HISTOGRAM_H
#define JG_HISTOGRAM_H
#include <stdint.h>

enum { HIST_MAX_BOUNDS = 16 };

struct histogram {
	const double *bounds;		/* static, ascending; +Inf is implied */
	int n;
	uint64_t at_most[HIST_MAX_BOUNDS];	/* observations <= bounds[i], not cumulative */
	uint64_t count;
	double sum;
};

void hist_init(struct histogram *h, const double *bounds, int n);	/* n <= HIST_MAX_BOUNDS */
void hist_observe(struct histogram *h, double v);
/* The cumulative count at bound i (i == n: every observation), as Prometheus wants it. */
uint64_t hist_cumulative(const struct histogram *h, int i);
#endif
