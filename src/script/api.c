/* What handlers can call: job/joblet getFact and setFact over the request's JSON facts,
 * job:schedule, print, and joblet:run on workers. Every rule a script can break raises a
 * Lua error that names the fact or argument and the rule; what the script makes us keep
 * (facts, schedule entries, output) is charged to its memory budget (sb_charge). */
#include "script/sandbox-int.h"
#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_FACTS 1000			/* per object */
#define MAX_FACT_NAME 128		/* bytes */
#define MAX_FACT_TEXT ((size_t)64 * 1024)
#define MAX_SCHEDULED 100000		/* joblets over the request */
#define MAX_ARGS 100			/* per job:schedule */
#define HELD_OVERHEAD 64		/* bytes charged per JSON value besides its text */

/* ---- facts -------------------------------------------------------------------------- */

static bool word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* ^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$ (without the dotted part unless dots), at
 * most MAX_FACT_NAME bytes. ASCII by hand: isalpha() would follow the locale. */
static bool fact_name_ok(const char *s, size_t len, bool dots)
{
	if (len == 0 || len > MAX_FACT_NAME || !word_char((unsigned char)s[0]) ||
	    (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (s[i] == '.' && dots && s[i - 1] != '.' && i + 1 < len)
			continue;
		if (!word_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool read_only(const char *name)
{
	static const char *const fixed[] = {
		"job.id", "job.name", "job.owner", "job.definition", "job.version", "job.state",
		"joblet.number", "joblet.retrynumber", "joblet.state", "joblet.exitcode",
		"joblet.failreason", "joblet.node", NULL,
	};
	for (size_t i = 0; fixed[i]; i++)
		if (strcmp(name, fixed[i]) == 0)
			return true;
	return strncmp(name, "jobargs.", 8) == 0 || strncmp(name, "resource.", 9) == 0;
}

static void push_json(lua_State *L, json_t *v)
{
	if (json_is_string(v))
		lua_pushlstring(L, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		lua_pushinteger(L, (lua_Integer)json_integer_value(v));
	else if (json_is_real(v))
		lua_pushnumber(L, json_real_value(v));
	else if (json_is_boolean(v))
		lua_pushboolean(L, json_is_true(v));
	else
		lua_pushnil(L);
}

/* jansson's own UTF-8 check, which the reply will need to pass. */
static bool utf8_ok(const char *s, size_t len)
{
	json_t *probe = json_stringn(s, len);
	json_decref(probe);
	return probe != NULL;
}

/* The rule the Lua value at idx breaks as a fact value, or NULL when it keeps them. */
static const char *value_rule(lua_State *L, int idx)
{
	size_t len;
	const char *s;
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		if (len > MAX_FACT_TEXT)
			return "text must be at most 64 KiB";
		return utf8_ok(s, len) ? NULL : "text must be UTF-8";
	case LUA_TNUMBER:
		return lua_isinteger(L, idx) || isfinite(lua_tonumber(L, idx))
			       ? NULL
			       : "a number must be finite";
	case LUA_TBOOLEAN:
		return NULL;
	default:
		return "a value must be text, a number or a boolean";
	}
}

/* The Lua value at idx, which value_rule accepted, as a new JSON value. */
static json_t *to_json(lua_State *L, int idx)
{
	size_t len;
	const char *s;
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &len);
		return json_stringn(s, len);
	case LUA_TNUMBER:
		return lua_isinteger(L, idx) ? json_integer((json_int_t)lua_tointeger(L, idx))
					     : json_real(lua_tonumber(L, idx));
	default:
		return json_boolean(lua_toboolean(L, idx));
	}
}

/* What holding name = v costs the budget (v may be NULL: nothing held). */
static long long held(const char *name, json_t *v)
{
	if (v == NULL)
		return 0;
	size_t bytes = strlen(name) + HELD_OVERHEAD + (json_is_string(v) ? json_string_length(v) : 0);
	return (long long)bytes;
}

/* self must be the object the method belongs to. */
static void check_self(lua_State *L, const char *method)
{
	if (!lua_istable(L, 1))
		luaL_error(L, "%s: call it with ':' (object:%s(...))", method, method);
}

static const char *fact_arg(lua_State *L, const char *method)
{
	size_t len;
	const char *name = luaL_checklstring(L, 2, &len);
	if (!fact_name_ok(name, len, true))
		luaL_error(L, "%s: '%s' is not a fact name (words of letters, digits and _ joined by"
			   " '.', at most %d bytes)", method, len > 200 ? "(long text)" : name,
			   MAX_FACT_NAME);
	return name;
}

static int get_fact(lua_State *L, json_t *first, json_t *second)
{
	const char *name = fact_arg(L, "getFact");
	json_t *v = json_object_get(first, name);
	push_json(L, v ? v : json_object_get(second, name));
	return 1;
}

/* setFact(name, value): nil deletes. Charged before anything changes, since the charge
 * may raise a stop. */
static int set_fact(lua_State *L, json_t *facts)
{
	const char *name = fact_arg(L, "setFact");
	luaL_checkany(L, 3);
	if (read_only(name))
		return luaL_error(L, "setFact: %s is read-only", name);
	json_t *old = json_object_get(facts, name);
	if (lua_isnil(L, 3)) {
		sb_charge(L, -held(name, old));
		json_object_del(facts, name);
		return 0;
	}
	const char *why = value_rule(L, 3);
	if (why)
		return luaL_error(L, "setFact: %s: %s", name, why);
	if (old == NULL && json_object_size(facts) >= MAX_FACTS)
		return luaL_error(L, "setFact: %s: an object has at most %d facts", name, MAX_FACTS);
	size_t len = 0;
	if (lua_type(L, 3) == LUA_TSTRING)
		lua_tolstring(L, 3, &len);
	size_t bytes = strlen(name) + HELD_OVERHEAD + len;
	sb_charge(L, (long long)bytes - held(name, old));
	json_object_set_new(facts, name, to_json(L, 3));
	return 0;
}

static int job_get(lua_State *L)
{
	check_self(L, "getFact");
	return get_fact(L, sb_of(L)->job_facts, NULL);
}

static int job_set(lua_State *L)
{
	check_self(L, "setFact");
	return set_fact(L, sb_of(L)->job_facts);
}

/* A joblet sees its own facts first, then the job's. */
static int joblet_get(lua_State *L)
{
	check_self(L, "getFact");
	return get_fact(L, sb_of(L)->joblet_facts, sb_of(L)->job_facts);
}

static int joblet_set(lua_State *L)
{
	check_self(L, "setFact");
	return set_fact(L, sb_of(L)->joblet_facts);
}

/* ---- job:schedule ------------------------------------------------------------------- */

/* Check every key and value of the args table at idx, without changing anything. Returns
 * the bytes they will hold. */
static long long check_args(lua_State *L, int idx)
{
	long long cost = HELD_OVERHEAD, n = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		size_t len = 0;
		/* lua_tolstring only on real strings: converting a key would confuse lua_next. */
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &len) : NULL;
		if (k == NULL || !fact_name_ok(k, len, false))
			luaL_error(L, "schedule: args keys must be names (letters, digits and _, at"
				   " most %d bytes), got %s", MAX_FACT_NAME,
				   k && len <= 200 ? k : luaL_typename(L, -2));
		if (++n > MAX_ARGS)
			luaL_error(L, "schedule: args has more than %d keys", MAX_ARGS);
		const char *why = value_rule(L, -1);
		if (why)
			luaL_error(L, "schedule: args.%s: %s", k, why);
		if (lua_type(L, -1) == LUA_TSTRING)
			cost += (long long)lua_rawlen(L, -1);
		cost += (long long)len + HELD_OVERHEAD;
		lua_pop(L, 1);
	}
	return cost;
}

static json_t *args_json(lua_State *L, int idx)
{
	json_t *args = json_object();
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		json_object_set_new(args, lua_tostring(L, -2), to_json(L, -1));
		lua_pop(L, 1);
	}
	return args;
}

/* job:schedule(n [, args]): n more joblets, each given args as jobletargs.* facts. */
static int job_schedule(lua_State *L)
{
	struct sb *sb = sb_of(L);
	check_self(L, "schedule");
	if (strcmp(sb->handler, "job_started") != 0)
		return luaL_error(L, "schedule: only job_started may schedule joblets");
	lua_Integer n = luaL_checkinteger(L, 2);
	if (n < 1 || n > MAX_SCHEDULED - sb->scheduled)
		return luaL_error(L, "schedule: n must be 1..%I here (at most %d joblets a job),"
				  " got %I", (lua_Integer)(MAX_SCHEDULED - sb->scheduled),
				  MAX_SCHEDULED, n);
	bool with_args = !lua_isnoneornil(L, 3);
	if (with_args)
		luaL_checktype(L, 3, LUA_TTABLE);
	sb_charge(L, with_args ? check_args(L, 3) : HELD_OVERHEAD);
	/* Nothing below raises: the JSON is built and kept in one go. */
	json_t *args = with_args ? args_json(L, 3) : json_object();
	sb->scheduled += n;
	json_array_append_new(sb->schedule, json_pack("{s:I, s:o}", "n", (json_int_t)n, "args", args));
	return 0;
}

/* ---- print and joblet:run ----------------------------------------------------------- */

/* Into the call's output on the server (charged, capped), to the joblet's log (stdout) on
 * a worker. Tab-separated and newline-terminated, like Lua's own print. */
int sb_print(lua_State *L)
{
	struct sb *sb = sb_of(L);
	int n = lua_gettop(L);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1)
			luaL_addchar(&b, '\t');
		luaL_tolstring(L, i, NULL);
		luaL_addvalue(&b);
	}
	luaL_addchar(&b, '\n');
	luaL_pushresult(&b);
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	if (sb->worker) {
		fwrite(s, 1, len, stdout);
		fflush(stdout);
	} else if (*sb->handler == '\0' || sb->out_truncated) {
		/* the top level has no call to log it with; past the cap nothing more is kept */
	} else if (sb->out.len + len <= SB_MAX_OUTPUT) {
		sb_charge(L, (long long)len);
		buf_append(&sb->out, s, len);
	} else {
		sb->out_truncated = true;
		buf_printf(&sb->out, "[output truncated]\n");
	}
	return 0;
}

/* In the command's process: the script process's soft limits are not the command's (it
 * may rightly run for hours), so back to the hard ones; then /bin/sh. */
static void exec_command(const char *cmd)
{
	static const int res[] = {RLIMIT_CPU, RLIMIT_AS};
	struct rlimit r;
	for (size_t i = 0; i < sizeof res / sizeof res[0]; i++)
		if (getrlimit(res[i], &r) == 0) {
			r.rlim_cur = r.rlim_max;
			setrlimit(res[i], &r);
		}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

/* joblet:run(cmd), worker mode only: /bin/sh -c cmd with this process's stdin (/dev/null)
 * and output; its exit status, or nil and "signal N". */
static int joblet_run(lua_State *L)
{
	check_self(L, "run");
	size_t len;
	const char *cmd = luaL_checklstring(L, 2, &len);
	if (memchr(cmd, '\0', len))
		return luaL_error(L, "run: the command has a NUL byte");
	fflush(stdout);	/* what the script printed comes before the command's output */
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return luaL_error(L, "run: cannot fork: %s", strerror(errno));
	if (pid == 0)
		exec_command(cmd);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return luaL_error(L, "run: cannot wait for the command: %s", strerror(errno));
	if (WIFSIGNALED(st)) {
		lua_pushnil(L);
		lua_pushfstring(L, "signal %d", WTERMSIG(st));
		return 2;
	}
	lua_pushinteger(L, WEXITSTATUS(st));
	return 1;
}

void sb_push_object(lua_State *L, bool joblet, bool worker)
{
	lua_createtable(L, 0, 3);
	lua_pushcfunction(L, joblet ? joblet_get : job_get);
	lua_setfield(L, -2, "getFact");
	lua_pushcfunction(L, joblet ? joblet_set : job_set);
	lua_setfield(L, -2, "setFact");
	if (!joblet) {
		lua_pushcfunction(L, job_schedule);
		lua_setfield(L, -2, "schedule");
	} else if (worker) {
		lua_pushcfunction(L, joblet_run);
		lua_setfield(L, -2, "run");
	}
}
