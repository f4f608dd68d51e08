/* The Lua sandbox: a state with a counting allocator and an instruction hook, the safe
 * libraries only, and the job/joblet API over JSON facts. See script.h for the protocol. */
#include "script/script.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_INSTRUCTIONS 200000000LL
#define DEFAULT_MEMORY_MB 64
#define HOOK_EVERY 1000			/* instructions between two hook calls */
#define MAX_CALLS 10000
#define MAX_OUTPUT ((size_t)64 * 1024)
#define MAX_FACTS 1000
#define MAX_FACT_NAME 128
#define MAX_FACT_TEXT ((size_t)64 * 1024)
#define MAX_SCHEDULED 100000
#define MAX_ARGS 100

const char *const script_handlers[] = {
	"job_started", "joblet_started", "joblet_completed", "joblet_failed", "job_completed", NULL,
};

enum stop { STOP_NONE, STOP_INSTRUCTIONS, STOP_MEMORY };

/* Everything one request needs; the Lua state finds it through its extra space. */
struct sb {
	lua_State *L;
	size_t mem_used, mem_limit;
	long long instr, instr_limit;
	enum stop stopped;
	bool worker;
	const char *chunkname;
	int line_offset;		/* first_line - 1 */
	json_t *job_facts;		/* owned */
	/* the call being run */
	const char *handler;
	json_t *joblet_facts;		/* owned */
	json_t *schedule;		/* owned array */
	long long scheduled;		/* joblets scheduled over the request */
	struct buf out;
	bool out_truncated;
	char *traceback;		/* owned: of the last error, or NULL */
	json_t *tmp;			/* owned: a value being built while Lua may raise */
};

static struct sb *sb_of(lua_State *L)
{
	return *(struct sb **)lua_getextraspace(L);
}

static const char *stop_name(enum stop s)
{
	return s == STOP_INSTRUCTIONS ? "instructions" : s == STOP_MEMORY ? "memory" : NULL;
}

/* ---- budgets ------------------------------------------------------------------------ */

/* Counts every byte Lua holds; refuses to grow past the limit (a stop, not an error the
 * script could catch). Lua frees with nsize 0 and passes osize = the old block's size. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sb *sb = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		sb->mem_used -= old;
		return NULL;
	}
	if (nsize > old && sb->mem_used - old + nsize > sb->mem_limit) {
		sb->stopped = sb->stopped ? sb->stopped : STOP_MEMORY;
		return NULL;
	}
	void *p = realloc(ptr, nsize);
	if (p)
		sb->mem_used = sb->mem_used - old + nsize;
	return p;
}

static void sb_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct sb *sb = sb_of(L);
	sb->instr += HOOK_EVERY;
	if (sb->instr > sb->instr_limit && !sb->stopped)
		sb->stopped = STOP_INSTRUCTIONS;
	if (sb->stopped == STOP_INSTRUCTIONS)
		luaL_error(L, "stopped: ran more than %I instructions", (lua_Integer)sb->instr_limit);
}

/* pcall and xpcall that let a budget stop through: otherwise `while true do pcall(f) end`
 * would catch its own stop forever. */
static int sb_pcall(lua_State *L)
{
	luaL_checkany(L, 1);
	int st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	if (sb_of(L)->stopped)
		return lua_error(L);
	lua_pushboolean(L, st == LUA_OK);
	lua_insert(L, 1);
	return lua_gettop(L);
}

static int sb_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);	/* f, msgh, true, f, args… */
	int st = lua_pcall(L, n - 2, LUA_MULTRET, 2);
	if (sb_of(L)->stopped)
		return lua_error(L);
	if (st != LUA_OK) {
		lua_pushboolean(L, 0);
		lua_pushvalue(L, -2);
		return 2;
	}
	return lua_gettop(L) - 2;
}

/* ---- facts -------------------------------------------------------------------------- */

static bool fact_name_ok(const char *s, size_t len, bool dots)
{
	if (len == 0 || len > MAX_FACT_NAME || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && dots && s[i - 1] != '.' && i + 1 < len)
			continue;
		if (!isalnum(c) && c != '_')
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

/* The Lua value at idx as a fact value (new), or NULL with a rule in *why. */
static json_t *to_json(lua_State *L, int idx, const char **why)
{
	size_t len;
	switch (lua_type(L, idx)) {
	case LUA_TSTRING: {
		const char *s = lua_tolstring(L, idx, &len);
		json_t *v = len <= MAX_FACT_TEXT ? json_stringn(s, len) : NULL;
		*why = "text must be UTF-8 and at most 64 KiB";
		return v;
	}
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			return json_integer((json_int_t)lua_tointeger(L, idx));
		*why = "a number must be finite";
		return isfinite(lua_tonumber(L, idx)) ? json_real(lua_tonumber(L, idx)) : NULL;
	case LUA_TBOOLEAN:
		return json_boolean(lua_toboolean(L, idx));
	default:
		*why = "a value must be text, a number or a boolean";
		return NULL;
	}
}

/* self must be the object the method belongs to. */
static void check_self(lua_State *L, const char *method)
{
	if (!lua_istable(L, 1))
		luaL_error(L, "%s: call it with ':' (object:%s(...))", method, method);
}

static const char *fact_arg(lua_State *L, int idx, const char *method)
{
	size_t len;
	const char *name = luaL_checklstring(L, idx, &len);
	if (!fact_name_ok(name, len, true))
		luaL_error(L, "%s: '%s' is not a fact name (words of letters, digits and _ joined by"
			   " '.', at most %d bytes)", method, name, MAX_FACT_NAME);
	return name;
}

static int get_fact(lua_State *L, json_t *first, json_t *second)
{
	const char *name = fact_arg(L, 2, "getFact");
	json_t *v = json_object_get(first, name);
	push_json(L, v ? v : json_object_get(second, name));
	return 1;
}

static int set_fact(lua_State *L, json_t *facts)
{
	const char *name = fact_arg(L, 2, "setFact");
	luaL_checkany(L, 3);
	if (read_only(name))
		return luaL_error(L, "setFact: %s is read-only", name);
	if (lua_isnil(L, 3)) {
		json_object_del(facts, name);
		return 0;
	}
	const char *why = "";
	json_t *v = to_json(L, 3, &why);
	if (v == NULL)
		return luaL_error(L, "setFact: %s: %s", name, why);
	if (json_object_get(facts, name) == NULL && json_object_size(facts) >= MAX_FACTS) {
		json_decref(v);
		return luaL_error(L, "setFact: %s: more than %d facts", name, MAX_FACTS);
	}
	json_object_set_new(facts, name, v);
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

/* job:schedule(n [, args]) */
static int job_schedule(lua_State *L)
{
	struct sb *sb = sb_of(L);
	check_self(L, "schedule");
	if (strcmp(sb->handler, "job_started") != 0)
		return luaL_error(L, "schedule: only job_started may schedule joblets");
	lua_Integer n = luaL_checkinteger(L, 2);
	if (n < 1 || n > MAX_SCHEDULED - sb->scheduled)
		return luaL_error(L, "schedule: n must be 1..%I here (at most %d joblets a job)",
				  (lua_Integer)(MAX_SCHEDULED - sb->scheduled), MAX_SCHEDULED);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	/* Held by sb until taken: a Lua error (a longjmp) in between must not leak it. */
	json_decref(sb->tmp);
	json_t *args = sb->tmp = json_object();
	if (!lua_isnoneornil(L, 3)) {
		lua_pushnil(L);
		while (lua_next(L, 3)) {
			size_t len;
			const char *why = "";
			const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tolstring(L, -2, &len) : NULL;
			json_t *v = k && fact_name_ok(k, len, false) ? to_json(L, -1, &why) : NULL;
			if (v == NULL || json_object_size(args) >= MAX_ARGS) {
				json_decref(v);
				return luaL_error(L, "schedule: args must map at most %d names (letters,"
						  " digits, _) to text, numbers or booleans%s%s", MAX_ARGS,
						  k ? ": " : "", k ? why : "");
			}
			json_object_set_new(args, k, v);
			lua_pop(L, 1);
		}
	}
	sb->scheduled += n;
	sb->tmp = NULL;
	json_array_append_new(sb->schedule, json_pack("{s:I, s:o}", "n", (json_int_t)n, "args", args));
	return 0;
}

/* joblet:run(cmd) on the worker: /bin/sh -c cmd with this process's output; its exit
 * status, or nil and "signal N". The command runs without the script's CPU limit. */
static int joblet_run(lua_State *L)
{
	check_self(L, "run");
	const char *cmd = luaL_checkstring(L, 2);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return luaL_error(L, "run: cannot fork");
	if (pid == 0) {
		/* The script process's own soft limits are not the command's: back to the hard
		 * ones (cmd-script.c lowers only the soft limits). */
		struct rlimit r;
		int res[] = {RLIMIT_CPU, RLIMIT_AS};
		for (size_t i = 0; i < 2; i++)
			if (getrlimit(res[i], &r) == 0) {
				r.rlim_cur = r.rlim_max;
				setrlimit(res[i], &r);
			}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		;
	if (WIFSIGNALED(st)) {
		lua_pushnil(L);
		lua_pushfstring(L, "signal %d", WTERMSIG(st));
		return 2;
	}
	lua_pushinteger(L, WEXITSTATUS(st));
	return 1;
}

/* print: into the call's output on the server, to the joblet's log on a worker. */
static int sb_print(lua_State *L)
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
	} else if (sb->out.len + len <= MAX_OUTPUT) {
		buf_append(&sb->out, s, len);
	} else if (!sb->out_truncated) {
		sb->out_truncated = true;
		buf_printf(&sb->out, "[output truncated]\n");
	}
	return 0;
}

/* ---- the state ---------------------------------------------------------------------- */

static void remove_globals(lua_State *L)
{
	static const char *const gone[] = {
		"dofile", "loadfile", "load", "require", "rawget", "rawset", "rawequal", "rawlen",
		"setmetatable", "getmetatable", "collectgarbage", NULL,
	};
	for (size_t i = 0; gone[i]; i++) {
		lua_pushnil(L);
		lua_setglobal(L, gone[i]);
	}
	lua_getglobal(L, "string");
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	lua_pushcfunction(L, sb_pcall);
	lua_setglobal(L, "pcall");
	lua_pushcfunction(L, sb_xpcall);
	lua_setglobal(L, "xpcall");
	lua_pushcfunction(L, sb_print);
	lua_setglobal(L, "print");
}

static int open_libs(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{LUA_GNAME, luaopen_base}, {LUA_STRLIBNAME, luaopen_string},
		{LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
		{LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL},
	};
	for (const luaL_Reg *l = libs; l->func; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	remove_globals(L);
	return 0;
}

static bool sb_open(struct sb *sb, long long instr, long long mem_mb)
{
	sb->instr_limit = instr;
	sb->mem_limit = (size_t)mem_mb << 20;
	sb->L = lua_newstate(sb_alloc, sb);
	if (sb->L == NULL)
		return false;
	*(struct sb **)lua_getextraspace(sb->L) = sb;
	lua_pushcfunction(sb->L, open_libs);
	if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK)
		return false;
	/* Only now: the libraries' own set-up is not the script's budget. */
	lua_sethook(sb->L, sb_hook, LUA_MASKCOUNT, HOOK_EVERY);
	return true;
}

static void sb_close(struct sb *sb)
{
	if (sb->L)
		lua_close(sb->L);
	json_decref(sb->job_facts);
	json_decref(sb->joblet_facts);
	json_decref(sb->schedule);
	json_decref(sb->tmp);
	buf_free(&sb->out);
	free(sb->traceback);
}

/* "name:12:" in Lua's messages → "name:(12 + offset):" so lines count in the file. */
static char *map_lines(const struct sb *sb, const char *text)
{
	struct buf b = BUF_INIT;
	size_t cl = strlen(sb->chunkname);
	for (const char *p = text; *p;) {
		if (strncmp(p, sb->chunkname, cl) == 0 && p[cl] == ':' && isdigit((unsigned char)p[cl + 1])) {
			char *end;
			long line = strtol(p + cl + 1, &end, 10);
			if (*end == ':') {
				buf_printf(&b, "%s:%ld", sb->chunkname, line + sb->line_offset);
				p = end;
				continue;
			}
		}
		buf_append(&b, p, 1);
		p++;
	}
	char *out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* Message handler: keep the traceback apart, return the message as text. */
static int msgh(lua_State *L)
{
	struct sb *sb = sb_of(L);
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL)
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	luaL_traceback(L, L, NULL, 1);
	free(sb->traceback);
	sb->traceback = xstrdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_pushstring(L, msg);
	return 1;
}

/* Call the function on the stack under nargs arguments. 0, or -1 with *err (new). */
static int protected_call(struct sb *sb, int nargs, char **err)
{
	lua_State *L = sb->L;
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, msgh);
	lua_insert(L, base);
	free(sb->traceback);
	sb->traceback = NULL;
	int st = lua_pcall(L, nargs, 0, base);
	if (st == LUA_OK) {
		lua_remove(L, base);
		return 0;
	}
	const char *m = lua_tostring(L, -1);
	/* A stop says so, whatever error object a message handler left on the way out. */
	if (sb->stopped == STOP_MEMORY)
		*err = xasprintf("stopped: used more than %zu MB", sb->mem_limit >> 20);
	else if (sb->stopped == STOP_INSTRUCTIONS)
		*err = xasprintf("stopped: ran more than %lld instructions", sb->instr_limit);
	else
		*err = map_lines(sb, m ? m : "error");
	lua_pop(L, 2);
	return -1;
}

static void push_object(lua_State *L, bool joblet, bool worker)
{
	lua_createtable(L, 0, 4);
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

static json_t *traceback_json(const struct sb *sb)
{
	if (sb->traceback == NULL)
		return json_null();
	char *t = map_lines(sb, sb->traceback);
	json_t *v = json_string(t);
	free(t);
	return v ? v : json_null();
}

/* One handler call: the result object. */
static json_t *run_call(struct sb *sb, json_t *call)
{
	lua_State *L = sb->L;
	const char *h = json_string_value(json_object_get(call, "handler"));
	json_t *jf = json_object_get(call, "joblet_facts");
	json_decref(sb->joblet_facts);
	sb->joblet_facts = json_is_object(jf) ? json_deep_copy(jf) : json_object();
	json_decref(sb->schedule);
	sb->schedule = json_array();
	buf_free(&sb->out);
	sb->out_truncated = false;
	sb->handler = h;
	json_t *res = json_pack("{s:s, s:b, s:b, s:n, s:n, s:n}", "handler", h, "called", 0, "ok", 1,
				"error", "traceback", "stopped");
	if (sb->stopped) {
		json_object_set_new(res, "ok", json_false());
		json_object_set_new(res, "error", json_string("not run: the script was stopped"));
		json_object_set_new(res, "stopped", json_string(stop_name(sb->stopped)));
		return res;
	}
	int t = lua_getglobal(L, h);
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
	} else if (t != LUA_TFUNCTION) {
		lua_pop(L, 1);
		json_object_set_new(res, "ok", json_false());
		json_object_set_new(res, "error", json_sprintf("%s is not a function", h));
	} else {
		bool with_joblet = strncmp(h, "joblet_", 7) == 0;
		push_object(L, false, sb->worker);
		if (with_joblet)
			push_object(L, true, sb->worker);
		char *err = NULL;
		json_object_set_new(res, "called", json_true());
		if (protected_call(sb, with_joblet ? 2 : 1, &err)) {
			json_object_set_new(res, "ok", json_false());
			json_object_set_new(res, "error", json_string(err));
			json_object_set_new(res, "traceback", traceback_json(sb));
			if (sb->stopped)
				json_object_set_new(res, "stopped", json_string(stop_name(sb->stopped)));
			free(err);
		}
	}
	json_object_set_new(res, "output", json_stringn(buf_cstr(&sb->out), sb->out.len) ?: json_string(""));
	json_object_set(res, "joblet_facts", sb->joblet_facts);
	json_object_set(res, "schedule", sb->schedule);
	return res;
}

/* Load and run the top level. 0, or -1 with *err (new). */
static int load_script(struct sb *sb, const char *text, size_t len, char **err)
{
	char chunk[300];
	snprintf(chunk, sizeof chunk, "=%s", sb->chunkname);
	if (luaL_loadbufferx(sb->L, text, len, chunk, "t") != LUA_OK) {
		const char *m = lua_tostring(sb->L, -1);
		*err = sb->stopped == STOP_MEMORY ? xstrdup("stopped: out of memory while loading")
						  : map_lines(sb, m ? m : "cannot load");
		lua_pop(sb->L, 1);
		return -1;
	}
	sb->handler = "";
	return protected_call(sb, 0, err);
}

static json_t *defined_handlers(lua_State *L)
{
	json_t *arr = json_array();
	for (size_t i = 0; script_handlers[i]; i++) {
		if (lua_getglobal(L, script_handlers[i]) == LUA_TFUNCTION)
			json_array_append_new(arr, json_string(script_handlers[i]));
		lua_pop(L, 1);
	}
	return arr;
}

static json_t *bad_request(const char *why)
{
	return json_pack("{s:[], s:s, s:n, s:n, s:{}, s:[]}", "handlers", "error", why, "traceback",
			 "stopped", "job_facts", "results");
}

static long long limit_of(json_t *req, const char *key, long long def, long long max)
{
	json_t *v = json_object_get(json_object_get(req, "limits"), key);
	long long x = json_is_integer(v) ? (long long)json_integer_value(v) : def;
	return x >= 1 && x <= max ? x : def;
}

json_t *script_run(json_t *req)
{
	const char *mode = json_string_value(json_object_get(req, "mode"));
	const char *text = json_string_value(json_object_get(req, "script"));
	const char *chunk = json_string_value(json_object_get(req, "chunkname"));
	json_t *calls = json_object_get(req, "calls"), *jf = json_object_get(req, "job_facts");
	json_t *fl = json_object_get(req, "first_line");
	if (!json_is_object(req) || mode == NULL ||
	    (strcmp(mode, "server") != 0 && strcmp(mode, "worker") != 0))
		return bad_request("request: mode must be \"server\" or \"worker\"");
	if (text == NULL)
		return bad_request("request: script must be text");
	if (!json_is_array(calls) || json_array_size(calls) > MAX_CALLS)
		return bad_request("request: calls must be an array of at most 10000");
	if (jf && !json_is_object(jf))
		return bad_request("request: job_facts must be an object");
	size_t i;
	json_t *call;
	json_array_foreach(calls, i, call) {
		const char *h = json_string_value(json_object_get(call, "handler"));
		bool known = false;
		for (size_t k = 0; h && script_handlers[k]; k++)
			known = known || strcmp(h, script_handlers[k]) == 0;
		if (!known)
			return bad_request("request: each call needs a known handler");
	}
	struct sb sb = {.worker = strcmp(mode, "worker") == 0, .out = BUF_INIT};
	sb.chunkname = chunk && *chunk && strlen(chunk) < 200 ? chunk : "script";
	sb.line_offset = json_is_integer(fl) && json_integer_value(fl) > 0 &&
					 json_integer_value(fl) < 10000000
				 ? (int)json_integer_value(fl) - 1
				 : 0;
	sb.job_facts = json_is_object(jf) ? json_deep_copy(jf) : json_object();
	json_t *reply;
	if (!sb_open(&sb, limit_of(req, "instructions", DEFAULT_INSTRUCTIONS, 1LL << 50),
		     limit_of(req, "memory_mb", DEFAULT_MEMORY_MB, 1 << 16))) {
		sb_close(&sb);
		return bad_request("cannot make a Lua state");
	}
	char *err = NULL;
	if (load_script(&sb, text, json_string_length(json_object_get(req, "script")), &err)) {
		reply = json_pack("{s:o, s:s, s:o, s:o, s:O, s:[]}", "handlers", json_array(), "error",
				  err, "traceback", traceback_json(&sb), "stopped",
				  sb.stopped ? json_string(stop_name(sb.stopped)) : json_null(),
				  "job_facts", sb.job_facts, "results");
		free(err);
		sb_close(&sb);
		return reply;
	}
	json_t *results = json_array();
	json_array_foreach(calls, i, call) json_array_append_new(results, run_call(&sb, call));
	reply = json_pack("{s:o, s:n, s:n, s:o, s:O, s:o}", "handlers", defined_handlers(sb.L),
			  "error", "traceback", "stopped",
			  sb.stopped ? json_string(stop_name(sb.stopped)) : json_null(), "job_facts",
			  sb.job_facts, "results", results);
	sb_close(&sb);
	return reply;
}

/* ---- deploy-time check -------------------------------------------------------------- */

static void add_problem(struct def_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_problem(struct def_errors *e, const char *fmt, ...)
{
	va_list ap;
	char text[1200];
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->msgs = xrealloc(e->msgs, e->cap, sizeof *e->msgs);
	}
	e->msgs[e->n++] = xstrdup(text);
}

/* "chunk:LINE: text" (lines already mapped) → "FILE:LINE:1: script: text". */
static void add_lua_problem(struct def_errors *e, const char *file, const char *chunk,
			    int first_line, const char *msg)
{
	size_t cl = strlen(chunk);
	long line = first_line;
	const char *text = msg;
	if (strncmp(msg, chunk, cl) == 0 && msg[cl] == ':') {
		char *end;
		long l = strtol(msg + cl + 1, &end, 10);
		if (end != msg + cl + 1 && *end == ':') {
			line = l;
			text = end + 1 + (end[1] == ' ');
		}
	}
	add_problem(e, "%s:%ld:1: script: %s", file, line, text);
}

void script_check(const char *file, int first_line, const char *chunkname, const char *text,
		  size_t len, struct def_errors *errs)
{
	struct sb sb = {.out = BUF_INIT, .chunkname = chunkname, .line_offset = first_line - 1};
	sb.job_facts = json_object();
	if (!sb_open(&sb, DEFAULT_INSTRUCTIONS, DEFAULT_MEMORY_MB)) {
		add_problem(errs, "%s:%d:1: script: cannot make a Lua state", file, first_line);
		sb_close(&sb);
		return;
	}
	char *err = NULL;
	if (load_script(&sb, text, len, &err)) {
		add_lua_problem(errs, file, chunkname, first_line, err);
		free(err);
		sb_close(&sb);
		return;
	}
	for (size_t i = 0; script_handlers[i]; i++) {
		int t = lua_getglobal(sb.L, script_handlers[i]);
		if (t != LUA_TNIL && t != LUA_TFUNCTION)
			add_problem(errs, "%s:%d:1: script: %s must be a function, not a %s", file,
				    first_line, script_handlers[i], lua_typename(sb.L, t));
		lua_pop(sb.L, 1);
	}
	sb_close(&sb);
}
