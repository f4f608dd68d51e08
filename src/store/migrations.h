/* Schema migrations of the SQLite store, applied in order at open; PRAGMA user_version
 * holds how many have been applied.
 *
 * To change the schema: append a new string to store_migrations[] (never edit one that
 * has shipped: stores in the field have already run it), keep the loader able to read
 * rows written before it, describe the change in docs/store-schema.md, add a fixture
 * tests/unit/data/schema-N.sql of the rows the new version writes (store/schema_upgrades
 * opens one of every version) and a test that opens a store made by the previous version. States and reasons are stored as the
 * integers of the enums in core/job.h: append to those enums, never renumber. */
#ifndef JG_MIGRATIONS_H
#define JG_MIGRATIONS_H

static const char *const store_migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE jobs(seq INTEGER PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL,"
	" grp TEXT NOT NULL, req_group TEXT NOT NULL, cmd TEXT NOT NULL, cwd TEXT NOT NULL,"
	" env TEXT, cores INTEGER NOT NULL, ram_mb INTEGER NOT NULL, gpus INTEGER NOT NULL,"
	" time_ms INTEGER NOT NULL, priority INTEGER NOT NULL, retries INTEGER NOT NULL,"
	" lost_retries INTEGER NOT NULL, retry_delay_ms INTEGER NOT NULL, flags INTEGER NOT NULL,"
	" njoblets INTEGER NOT NULL, state INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	" ended_at INTEGER NOT NULL) STRICT;"
	/* A joblet row exists only once the joblet left its initial READY state. */
	"CREATE TABLE joblets(seq INTEGER NOT NULL, idx INTEGER NOT NULL, state INTEGER NOT NULL,"
	" errors INTEGER NOT NULL, lost INTEGER NOT NULL, ready_at INTEGER NOT NULL, reason TEXT,"
	" PRIMARY KEY(seq, idx)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE attempts(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" n INTEGER NOT NULL, node TEXT NOT NULL, worker TEXT NOT NULL, state INTEGER NOT NULL,"
	" exit_code INTEGER, fail_reason INTEGER NOT NULL, started_at INTEGER NOT NULL,"
	" ended_at INTEGER NOT NULL, peak_ram_mb INTEGER NOT NULL, cpu_ms INTEGER NOT NULL,"
	" message TEXT, late_result TEXT) STRICT;"
	"CREATE INDEX attempts_job ON attempts(seq, idx);"
	"CREATE TABLE output(id INTEGER PRIMARY KEY, attempt INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" at INTEGER NOT NULL, data BLOB NOT NULL) STRICT;"
	"CREATE UNIQUE INDEX output_chunk ON output(attempt, seq);"
	"CREATE TABLE idem(owner TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL,"
	" status INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY(owner, key)) STRICT;",
	/* 2: scheduling options (JSON, see core/opts.h), what each attempt was given, limits */
	"ALTER TABLE jobs ADD COLUMN opts TEXT;"
	"ALTER TABLE attempts ADD COLUMN cores INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE attempts ADD COLUMN ram_mb INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE attempts ADD COLUMN gpus INTEGER NOT NULL DEFAULT -1;"
	"CREATE TABLE limits(name TEXT PRIMARY KEY, lim INTEGER NOT NULL) STRICT, WITHOUT ROWID;",
	/* 3: deployed definitions, every version kept; undeploy clears `active` */
	"CREATE TABLE definitions(name TEXT NOT NULL, version INTEGER NOT NULL, file TEXT NOT NULL,"
	" source TEXT NOT NULL, owner TEXT NOT NULL, deployed_at INTEGER NOT NULL,"
	" active INTEGER NOT NULL, PRIMARY KEY(name, version)) STRICT, WITHOUT ROWID;",
	/* 4: job networks: the planner's runs (JSON of struct net_run) and paused definitions */
	"CREATE TABLE net_runs(id INTEGER PRIMARY KEY, planned_at INTEGER NOT NULL,"
	" run TEXT NOT NULL) STRICT;"
	"CREATE INDEX net_runs_planned ON net_runs(planned_at);"
	"CREATE TABLE net_paused(name TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;",
	/* 5: the Lua file a definition's `script: NAME.lua` names, deployed with its version
	 * (JSON {"NAME.lua": "Lua text"}); NULL for rows written before, which had none */
	"ALTER TABLE definitions ADD COLUMN scripts TEXT;",
	/* 6: attempts' run time as their worker measured it (-1: not reported), their stored
	 * output and what their worker dropped over the output limit; output.seq of a new
	 * chunk is its byte offset in the attempt's output */
	"ALTER TABLE attempts ADD COLUMN wall_ms INTEGER NOT NULL DEFAULT -1;"
	"ALTER TABLE attempts ADD COLUMN output_bytes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE attempts ADD COLUMN output_dropped INTEGER NOT NULL DEFAULT 0;"
	"UPDATE attempts SET output_bytes ="
	" (SELECT COALESCE(SUM(length(data)), 0) FROM output WHERE output.attempt = attempts.id);",
	/* 7: the submitter's environment, one row per distinct one, jobs pointing at it */
	"CREATE TABLE envs(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE) STRICT;"
	"ALTER TABLE jobs ADD COLUMN submit_env INTEGER;",
	/* 8: the local account an attempt's process ran as, as its worker reported it (NULL:
	 * not reported, not started, or a row written before) */
	"ALTER TABLE attempts ADD COLUMN run_as TEXT;",
	/* 9: users (an Argon2id hash, "" for none) and bearer tokens (their BLAKE2b hash only;
	 * times in wall ms, 0 for never / not revoked) */
	"CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL,"
	" created_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
	"CREATE TABLE tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL,"
	" role TEXT NOT NULL, hash BLOB NOT NULL UNIQUE, created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, revoked_at INTEGER NOT NULL) STRICT;",
	/* 10: finished jobs are read from the store on demand (list_jobs): a page of them by
	 * state, owner or group is found in an index, in seq order, whatever the history */
	"CREATE INDEX jobs_state ON jobs(state, seq);"
	"CREATE INDEX jobs_owner ON jobs(owner, seq);"
	"CREATE INDEX jobs_owner_state ON jobs(owner, state, seq);"
	"CREATE INDEX jobs_group ON jobs(grp, seq);"
	"CREATE INDEX jobs_group_state ON jobs(grp, state, seq);",
	/* 11: the lifecycle events kept for streams that resume (GET /v1/events): id
	 * store-global and increasing, data the event's JSON text, NULL for a gap (events were
	 * not built: a resume from before it must re-read); and the store's identity, the
	 * EPOCH of the event ids, made once here (a restore makes a new one) */
	"CREATE TABLE events(id INTEGER PRIMARY KEY, data TEXT) STRICT;"
	"CREATE TABLE store_identity(id INTEGER PRIMARY KEY CHECK(id = 1),"
	" epoch INTEGER NOT NULL) STRICT;"
	"INSERT INTO store_identity VALUES(1,"
	" 100000000000000 + (random() & 281474976710655) % 900000000000000);",
	/* 12: a start with history out of memory loads in full only the jobs memory keeps
	 * (store-load.c's kept_sql: jobs_ended, jobs_kept, attempts_running) and counts the
	 * others (jobs_joblets, jobs_req_group: the few of many joblets or with a req group);
	 * the throughput series reads the attempts that ended in the last hour (attempts_ended) */
	"CREATE INDEX jobs_ended ON jobs(ended_at);"
	"CREATE INDEX jobs_kept ON jobs(seq) WHERE njoblets > 1000 OR (opts IS NOT NULL AND"
	" (opts LIKE '%\"dep_groups\"%' OR opts LIKE '%\"after_groups\"%'"
	" OR opts LIKE '%\"script\"%'));"
	"CREATE INDEX jobs_joblets ON jobs(seq) WHERE njoblets <> 1;"
	"CREATE INDEX jobs_req_group ON jobs(seq) WHERE req_group <> '';"
	"CREATE INDEX attempts_running ON attempts(seq) WHERE state = 0;"
	"CREATE INDEX attempts_ended ON attempts(ended_at);",
	/* 13: the jobs whose rows are being deleted a slice per batch (REC_JOB_DEL): their
	 * jobs row is gone, the rest goes in later batches, and a start finishes it first */
	"CREATE TABLE removing(seq INTEGER PRIMARY KEY) STRICT;",
	/* 14: a load reads the attempts of a final joblet only when one of them runs or was
	 * lost (store-load.c's HELD_SQL: attempts_running, attempts_lost) */
	"CREATE INDEX attempts_lost ON attempts(seq) WHERE state = 3;",
	/* 15: the seq after the newest job ever removed, so that a restart never gives a
	 * removed job's number to a new job (a load takes the larger of it and the jobs') */
	"ALTER TABLE store_identity ADD COLUMN next_seq INTEGER NOT NULL DEFAULT 1;",
};
#define STORE_SCHEMA_VERSION ((int)(sizeof store_migrations / sizeof store_migrations[0]))
#endif
