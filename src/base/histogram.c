/* Fixed-bucket histograms (histogram.h). */
#include "base/histogram.h"
#include <string.h>

void hist_init(struct histogram *h, const double *bounds, int n)
{
	memset(h, 0, sizeof *h);
	h->bounds = bounds;
	h->n = n < HIST_MAX_BOUNDS ? n : HIST_MAX_BOUNDS;
}

void hist_observe(struct histogram *h, double v)
{
	int lo = 0, hi = h->n;	/* the first bound >= v, by bisection; n: above them all */
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (h->bounds[mid] >= v)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo < h->n)
		h->at_most[lo]++;
	h->count++;
	h->sum += v;
}

uint64_t hist_cumulative(const struct histogram *h, int i)
{
	if (i >= h->n)
		return h->count;
	uint64_t c = 0;
	for (int k = 0; k <= i; k++)
		c += h->at_most[k];
	return c;
}
