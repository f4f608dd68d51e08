/* Batches of records: growth and release of what the records own. */
#include "store/store.h"
#include "base/xalloc.h"
#include "core/job.h"
#include "core/opts.h"
#include <string.h>

struct rec *store_batch_add(struct store_batch *b, enum rec_kind kind)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->recs = xrealloc(b->recs, b->cap, sizeof *b->recs);
	}
	struct rec *r = &b->recs[b->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	return r;
}

void store_batch_clear(struct store_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct rec *r = &b->recs[i];
		switch (r->kind) {
		case REC_JOB:
		case REC_JOB_STATE:
			free(r->u.job.opts);
			break;
		case REC_JOBLET:
			free(r->u.joblet.reason);
			break;
		case REC_DEF:
		case REC_DEF_UNDEPLOY:
			free(r->u.def.name);
			free(r->u.def.file);
			free(r->u.def.source);
			free(r->u.def.scripts);
			break;
		case REC_NET_RUN:
		case REC_NET_DROP:
		case REC_NET_PAUSE:
			free(r->u.net.run);
			free(r->u.net.name);
			break;
		case REC_ATTEMPT:
			free(r->u.attempt.message);
			free(r->u.attempt.late_result);
			break;
		case REC_OUTPUT:
			free(r->u.output.data);
			break;
		case REC_IDEM:
			free(r->u.idem.key);
			free(r->u.idem.body);
			break;
		case REC_USER:
			free(r->u.user.hash);
			break;
		case REC_EVENT:
			free(r->u.event.data);
			break;
		default:
			break;
		}
	}
	b->n = 0;
}

void store_add_job(struct store_batch *b, const struct job *j, bool created)
{
	struct rec_job *r = &store_batch_add(b, created ? REC_JOB : REC_JOB_STATE)->u.job;
	r->seq = j->seq;
	r->owner = j->owner;
	r->name = j->name;
	r->group = j->group;
	r->req_group = j->req_group;
	r->cwd = j->cwd;
	r->cmd = j->cmd;
	r->env = j->env;
	r->submit_env = j->submit_env;
	r->created_at = j->created_at;
	r->ended_at = j->ended_at;
	r->time_ms = j->time_ms;
	r->retry_delay_ms = j->retry_delay_ms;
	r->cores = j->cores;
	r->ram_mb = j->ram_mb;
	r->gpus = j->gpus;
	r->njoblets = j->njoblets;
	r->retries = j->retries;
	r->lost_retries = j->lost_retries;
	r->priority = j->priority;
	r->state = j->state;
	r->flags = (j->no_restart ? REC_JOB_NO_RESTART : 0) | (j->unique ? REC_JOB_UNIQUE : 0) |
		   (j->cwd_default ? REC_JOB_CWD_DEFAULT : 0);
	/* Options change rarely (creation, mod, learning): not stored with every state. */
	r->opts = created || j->opts_dirty ? opts_text(j) : NULL;
}

void store_add_joblet(struct store_batch *b, const struct joblet *jl)
{
	struct rec_joblet *r = &store_batch_add(b, REC_JOBLET)->u.joblet;
	r->seq = jl->job->seq;
	r->idx = jl->index;
	r->state = jl->state;
	r->errors = jl->errors;
	r->lost = jl->lost;
	r->ready_at = jl->ready_at;
	/* A copy: the record goes to the writer thread, the joblet's shared text stays. */
	r->reason = jl->reason ? xstrdup(jl->reason->text) : NULL;
}

void store_add_attempt(struct store_batch *b, const struct attempt *a)
{
	struct rec_attempt *r = &store_batch_add(b, REC_ATTEMPT)->u.attempt;
	r->id = a->id;
	r->seq = a->joblet->job->seq;
	r->idx = a->joblet->index;
	r->n = a->n;
	r->state = a->state;
	r->has_exit = a->has_exit;
	r->exit_code = a->exit_code;
	r->fail_reason = a->fail_reason;
	r->started_at = a->started_at;
	r->ended_at = a->ended_at;
	r->peak_ram_mb = a->peak_ram_mb;
	r->cpu_ms = a->cpu_ms;
	r->wall_ms = a->wall_ms;
	r->output_bytes = a->out_bytes;
	r->output_dropped = a->out_dropped;
	r->cores = a->cores;
	r->ram_mb = a->ram_mb;
	r->gpus = a->gpus;
	r->node = a->node;
	r->worker = a->worker_id;
	r->run_as = a->run_as;
	r->message = a->message ? xstrdup(a->message) : NULL;
	r->late_result = a->late_result ? xstrdup(a->late_result) : NULL;
}
