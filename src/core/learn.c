/* Learned requirements (wr's ReqGroup): the peak RAM and wall time of the successful
 * attempts of a req group give a recommendation for the group's jobs that do not say, or
 * (with --override 0) say less reliably. A high percentile, rounded up, so most of the
 * group fits and nobody books far more than it needs. */
#include "base/intern.h"
#include "base/xalloc.h"
#include "core/sched-int.h"
#include <stdlib.h>
#include <string.h>

enum { RAM_STEP_MB = 100, TIME_STEP_MS = 60000, PERCENTILE = 95 };

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void recommend(struct req_group *rg)
{
	int32_t ram[REQ_SAMPLES];
	int64_t wall[REQ_SAMPLES];
	int n = rg->n;
	memcpy(ram, rg->ram_mb, (size_t)n * sizeof *ram);
	memcpy(wall, rg->wall_ms, (size_t)n * sizeof *wall);
	qsort(ram, (size_t)n, sizeof *ram, cmp_i32);
	qsort(wall, (size_t)n, sizeof *wall, cmp_i64);
	int at = (n * PERCENTILE + 99) / 100 - 1;	/* nearest-rank percentile */
	int32_t r = ram[at < 0 ? 0 : at];
	int64_t t = wall[at < 0 ? 0 : at];
	rg->rec_ram_mb = (r / RAM_STEP_MB + 1) * RAM_STEP_MB;
	rg->rec_time_ms = (t / TIME_STEP_MS + 1) * TIME_STEP_MS;
}

void learn_sample(struct sched *s, const struct job *j, const struct attempt *a)
{
	learn_group_sample(s, j->req_group, a);
}

void learn_group_sample(struct sched *s, const char *req_group, const struct attempt *a)
{
	if (req_group[0] == '\0' || (a->wall_ms < 0 && a->ended_at < a->started_at))
		return;
	struct req_group *rg = imap_get(&s->req_groups, (uint64_t)(uintptr_t)req_group);
	if (rg == NULL) {
		rg = xcalloc(1, sizeof *rg);
		rg->name = req_group;
		imap_put(&s->req_groups, (uint64_t)(uintptr_t)req_group, rg);
	}
	rg->ram_mb[rg->pos] = a->peak_ram_mb;
	/* The worker's measure: an outage between the end and its report adds nothing. */
	rg->wall_ms[rg->pos] = attempt_wall_ms(a, a->ended_at);
	rg->pos = (rg->pos + 1) % REQ_SAMPLES;
	if (rg->n < REQ_SAMPLES)
		rg->n++;
	if (rg->n >= REQ_MIN_SAMPLES)
		recommend(rg);
}

const struct req_group *sched_req_group(const struct sched *s, const char *name)
{
	return imap_get(&s->req_groups, (uint64_t)(uintptr_t)intern(name));
}

/* wr: missing values take the recommendation; given ones too with override 0, when lower
 * with override 1, never with override 2. */
static bool take(bool given, int override, int64_t mine, int64_t learned)
{
	if (!given)
		return true;
	return override == 0 || (override == 1 && learned > mine);
}

bool learn_apply(struct sched *s, struct job *j)
{
	const struct req_group *rg = imap_get(&s->req_groups, (uint64_t)(uintptr_t)j->req_group);
	struct job_ext *x = j->x;
	bool changed = false;
	if (rg == NULL || rg->rec_ram_mb == 0 || x == NULL)
		return false;
	/* A value the user gave and learning replaces stays the limit (job_*_limit_*): learned
	 * values place joblets, they never end one. */
	if (j->ram_learned || take(x->ram_given, x->override, j->ram_mb, rg->rec_ram_mb)) {
		if (!j->ram_learned)
			x->ram_limit_mb = x->ram_given ? j->ram_mb : 0;
		changed = j->ram_mb != rg->rec_ram_mb;
		j->ram_mb = rg->rec_ram_mb;
		j->ram_learned = j->opts_dirty = true;
	}
	if (j->time_learned || take(x->time_given, x->override, j->time_ms, rg->rec_time_ms)) {
		if (!j->time_learned)
			x->time_limit_ms = x->time_given ? j->time_ms : 0;
		changed = changed || j->time_ms != rg->rec_time_ms;
		j->time_ms = rg->rec_time_ms;
		j->time_learned = j->opts_dirty = true;
	}
	return changed;
}

int32_t learn_grow_ram(int32_t ram_mb)
{
	int64_t grown = ram_mb < 8192 ? (int64_t)ram_mb * 2 : (int64_t)ram_mb * 13 / 10;
	if (grown < (int64_t)ram_mb + 1000)
		grown = (int64_t)ram_mb + 1000;
	return grown > 16777216 ? ram_mb : (int32_t)grown;
}
