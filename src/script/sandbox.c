/* The Lua sandbox: a state with a counting allocator and an instruction hook, the safe
 * libraries only, and the request/reply protocol of script.h around it.
 *
 * Design notes.
 * 1. Budgets are stops, not errors. The allocator refuses past the memory budget and the
 *    count hook raises once the instructions are spent; either sets sb->stopped, and from
 *    then on the hook raises at once and our pcall/xpcall re-raise instead of returning,
 *    so no script can catch its own stop. One exception: when Lua's emergency collection
 *    then satisfies the refused allocation (it asks again with the same arguments), the
 *    refusal is withdrawn, since the script did fit.
 * 2. Nothing that may allocate in Lua runs outside lua_pcall: a memory error there would
 *    reach Lua's panic function and abort. Handler calls and handler look-ups are C
 *    functions run under lua_pcall for that reason.
 * 3. Lua knows every script as CHUNK_ID (one byte that no script name has): its messages
 *    and tracebacks say "\x01:LINE", which map_lines turns into "NAME:FILE-LINE". Lua
 *    would cut a real name at 59 bytes, even inside a UTF-8 sequence, and then nothing
 *    could find the line numbers to map. */
#include "script/sandbox-int.h"
#include "base/xalloc.h"
#include "script/script.h"
#include <lauxlib.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_INSTRUCTIONS 200000000LL
#define DEFAULT_MEMORY_MB 64LL
#define MAX_INSTRUCTIONS (1LL << 50)
#define MAX_MEMORY_MB 65536LL
#define HOOK_EVERY 1000			/* instructions between two hook calls */
#define MAX_CALLS 10000
#define MAX_CHUNKNAME 1000		/* bytes */
#define MAX_FIRST_LINE 10000000
#define MAX_MESSAGE ((size_t)16 * 1024)	/* of an error or a traceback in a reply */
#define CHUNK_ID "\x01"
#define N_HANDLERS 5

const char *const script_handlers[N_HANDLERS + 1] = {
	"job_started", "joblet_started", "joblet_completed", "joblet_failed", "job_completed", NULL,
};

struct sb *sb_of(lua_State *L)
{
	return *(struct sb **)lua_getextraspace(L);
}

static const char *stop_name(enum sb_stop s)
{
	return s == STOP_INSTRUCTIONS ? "instructions" : s == STOP_MEMORY ? "memory" : NULL;
}

/* The message of the stop in force, into buf. */
static void stop_text(const struct sb *sb, char *buf, size_t len)
{
	if (sb->stopped == STOP_MEMORY)
		snprintf(buf, len, "stopped: used more than %zu MB", sb->mem_limit >> 20);
	else
		snprintf(buf, len, "stopped: ran more than %lld instructions", sb->instr_limit);
}

/* The same, new. */
static char *stop_message(const struct sb *sb)
{
	char m[100];
	stop_text(sb, m, sizeof m);
	return xstrdup(m);
}

/* ---- budgets ------------------------------------------------------------------------ */

static bool over_budget(const struct sb *sb, size_t more)
{
	size_t ext = sb->ext_used > 0 ? (size_t)sb->ext_used : 0;
	return sb->mem_used + ext + more > sb->mem_limit;
}

/* Lua's allocator (frees have nsize 0; for a new block ptr is NULL and osize a type tag).
 * Refuses growth past the budget; see note 1 for the emergency-collection retry. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct sb *sb = ud;
	size_t old = ptr ? osize : 0;
	if (nsize == 0) {
		free(ptr);
		sb->mem_used -= old;
		return NULL;
	}
	struct sb_refusal *r = &sb->refusal;
	bool retry = r->pending && r->ptr == ptr && r->osize == osize && r->nsize == nsize;
	if (nsize > old)
		r->pending = false;	/* any other growth means Lua went on without it */
	void *p = nsize > old && over_budget(sb, nsize - old) ? NULL : realloc(ptr, nsize);
	if (p == NULL) {
		if (sb->stopped == STOP_NONE) {
			sb->stopped = STOP_MEMORY;
			*r = (struct sb_refusal){true, ptr, osize, nsize};
		}
		return NULL;
	}
	sb->mem_used = sb->mem_used - old + nsize;
	if (retry)
		sb->stopped = STOP_NONE;	/* the collection made room: no stop */
	return p;
}

/* On the C stack, not the heap: pushing it may itself raise (no memory left). */
int sb_raise_stop(lua_State *L)
{
	char m[100];
	stop_text(sb_of(L), m, sizeof m);
	luaL_where(L, 1);	/* where it was stopped, for the deploy check's line */
	lua_pushstring(L, m);
	lua_concat(L, 2);
	return lua_error(L);
}

void sb_charge(lua_State *L, long long bytes)
{
	struct sb *sb = sb_of(L);
	if (bytes > 0 && over_budget(sb, (size_t)bytes)) {
		lua_gc(L, LUA_GCCOLLECT);	/* as Lua itself would before giving up */
		if (over_budget(sb, (size_t)bytes)) {
			if (sb->stopped == STOP_NONE)
				sb->stopped = STOP_MEMORY;
			sb_raise_stop(L);
		}
	}
	sb->ext_used += bytes;
}

/* Lua's collector lets garbage grow as big as what is live before a cycle ends. Near the
 * budget that garbage alone would stop a script, since buffers (string.rep, table.concat,
 * ..) allocate without Lua's emergency collection; so once half the free room is used,
 * collect in full. Collecting costs by the number of objects, not their bytes. */
static void collect_if_near(struct sb *sb)
{
	size_t ext = sb->ext_used > 0 ? (size_t)sb->ext_used : 0;
	if (sb->mem_used + ext <= sb->gc_at)
		return;
	lua_gc(sb->L, LUA_GCCOLLECT);
	size_t after = sb->mem_used + ext;
	size_t room = after < sb->mem_limit ? sb->mem_limit - after : 0;
	sb->gc_at = after + (room / 2 > sb->mem_limit / 16 ? room / 2 : sb->mem_limit / 16);
}

static void sb_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	struct sb *sb = sb_of(L);
	collect_if_near(sb);
	sb->instr += HOOK_EVERY;
	if (sb->instr > sb->instr_limit && sb->stopped == STOP_NONE)
		sb->stopped = STOP_INSTRUCTIONS;
	if (sb->stopped != STOP_NONE)
		sb_raise_stop(L);
}

/* pcall and xpcall that let a budget stop through: otherwise `while true do pcall(f) end`
 * would catch its own stop forever. */
static int sb_pcall(lua_State *L)
{
	luaL_checkany(L, 1);
	int st = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
	if (sb_of(L)->stopped != STOP_NONE)
		return lua_error(L);
	lua_pushboolean(L, st == LUA_OK);
	lua_insert(L, 1);
	return lua_gettop(L);
}

/* xpcall's message handler: the script's own (upvalue 1), but never for a stop. Lua
 * handles an error raised in a hook with hooks off, so a handler that looped there
 * could never be stopped. */
static int xpcall_msgh(lua_State *L)
{
	if (sb_of(L)->stopped != STOP_NONE)
		return 1;
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, 1);
	return 1;
}

static int sb_xpcall(lua_State *L)
{
	int n = lua_gettop(L);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 2);
	lua_pushcclosure(L, xpcall_msgh, 1);
	lua_replace(L, 2);	/* f, our msgh over the script's, args… */
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 1);
	lua_rotate(L, 3, 2);	/* f, msgh, true, f, args… */
	int st = lua_pcall(L, n - 2, LUA_MULTRET, 2);
	if (sb_of(L)->stopped != STOP_NONE)
		return lua_error(L);
	if (st != LUA_OK) {
		lua_pushboolean(L, 0);
		lua_pushvalue(L, -2);
		return 2;
	}
	return lua_gettop(L) - 2;
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

/* Run under lua_pcall: only base, string, table, math and utf8. */
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
	sb->gc_at = sb->mem_limit / 2;
	sb->handler = "";
	sb->L = lua_newstate(sb_alloc, sb);
	if (sb->L == NULL)
		return false;
	*(struct sb **)lua_getextraspace(sb->L) = sb;
	lua_pushcfunction(sb->L, open_libs);
	if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK || sb->stopped != STOP_NONE)
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
	buf_free(&sb->out);
	free(sb->traceback);
}

/* ---- text for the reply ------------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0: the rules jansson
 * checks (no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		lo = c == 0xE0 ? 0xA0 : lo;	/* overlong below */
		hi = c == 0xED ? 0x9F : hi;	/* surrogates above */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		lo = c == 0xF0 ? 0x90 : lo;	/* overlong below */
		hi = c == 0xF4 ? 0x8F : hi;	/* past U+10FFFF above */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* Text as a JSON string (new), cut after cap bytes, every byte that is not UTF-8 shown as
 * U+FFFD: a script's bytes must not make the reply unwritable. */
static json_t *text_json(const char *text, size_t len, size_t cap)
{
	json_t *v = len <= cap ? json_stringn(text, len) : NULL;
	if (v)
		return v;
	struct buf b = BUF_INIT;
	const unsigned char *s = (const unsigned char *)text;
	size_t n = len < cap ? len : cap;
	for (size_t i = 0, k; i < n; i += k ? k : 1) {
		k = utf8_seq(s + i, n - i);
		buf_append(&b, k ? (const char *)s + i : "\xEF\xBF\xBD", k ? k : 3);
	}
	if (len > cap)
		buf_printf(&b, " [cut at %zu bytes]", cap);
	v = json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	return v ? v : json_string("");
}

static json_t *message_json(const char *text)
{
	return text ? text_json(text, strlen(text), MAX_MESSAGE) : json_null();
}

/* A Lua message (raw) with CHUNK_ID turned into the script's name and "CHUNK_ID:LINE"
 * into "NAME:LINE+offset" (new). */
static char *map_lines(const struct sb *sb, const char *raw)
{
	struct buf b = BUF_INIT;
	const char *p = raw, *mark;
	while ((mark = strchr(p, CHUNK_ID[0]))) {
		buf_append(&b, p, (size_t)(mark - p));
		buf_printf(&b, "%s", sb->chunkname);
		p = mark + 1;
		size_t digits = p[0] == ':' ? strspn(p + 1, "0123456789") : 0;
		if (digits > 0 && digits < 10) {	/* Lua's lines are ints */
			buf_printf(&b, ":%ld", strtol(p + 1, NULL, 10) + sb->line_offset);
			p += 1 + digits;
		}
	}
	buf_append(&b, p, strlen(p));
	char *out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

static json_t *mapped_json(const struct sb *sb, const char *raw)
{
	if (raw == NULL)
		return json_null();
	char *m = map_lines(sb, raw);
	json_t *v = message_json(m);
	free(m);
	return v;
}

/* ---- running ------------------------------------------------------------------------ */

/* Message handler: keep the traceback apart, return the message as text. */
static int msgh(lua_State *L)
{
	struct sb *sb = sb_of(L);
	int at = 1;
	if (lua_tostring(L, 1) == NULL) {
		lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
		at = lua_gettop(L);
	}
	if (sb->stopped != STOP_MEMORY) {	/* with no memory left a traceback would fail */
		luaL_traceback(L, L, NULL, 1);
		size_t len;
		const char *tb = lua_tolstring(L, -1, &len);
		/* The last frame is our own entry (call_handler), not the script's. */
		static const char entry[] = "\n\t[C]: in ?";
		if (len >= sizeof entry - 1 && strcmp(tb + len - (sizeof entry - 1), entry) == 0)
			len -= sizeof entry - 1;
		free(sb->traceback);
		sb->traceback = xstrndup(tb, len);
		lua_pop(L, 1);
	}
	lua_pushvalue(L, at);
	return 1;
}

/* Call the function under nargs arguments on the stack, with msgh. 0, or -1 with *raw
 * (new): the error as Lua gave it, lines not mapped. A stop is a failure even when the
 * function returned. */
static int protected_call(struct sb *sb, int nargs, char **raw)
{
	lua_State *L = sb->L;
	int base = lua_gettop(L) - nargs;
	lua_pushcfunction(L, msgh);
	lua_insert(L, base);
	free(sb->traceback);
	sb->traceback = NULL;
	int st = lua_pcall(L, nargs, 0, base);
	if (st == LUA_ERRMEM && sb->stopped == STOP_NONE)
		sb->stopped = STOP_MEMORY;
	if (st != LUA_OK)	/* our msgh made it text; Lua's own errors are text */
		*raw = xstrdup(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error");
	else if (sb->stopped != STOP_NONE)
		*raw = xstrdup("");
	lua_settop(L, base - 1);
	return st == LUA_OK && sb->stopped == STOP_NONE ? 0 : -1;
}

/* Load text as the script and run its top level. 0, or -1 with *raw (new). */
static int run_top(struct sb *sb, const char *text, size_t len, char **raw)
{
	if (len > 0 && text[0] == LUA_SIGNATURE[0]) {
		*raw = xstrdup("binary chunks are refused: a script is Lua text");
		return -1;
	}
	/* luaL_loadbufferx runs protected itself; mode "t" refuses binary chunks anyway. */
	int st = luaL_loadbufferx(sb->L, text, len, "=" CHUNK_ID, "t");
	if (st != LUA_OK) {
		if (st == LUA_ERRMEM && sb->stopped == STOP_NONE)
			sb->stopped = STOP_MEMORY;
		*raw = xstrdup(lua_type(sb->L, -1) == LUA_TSTRING ? lua_tostring(sb->L, -1) : "cannot load");
		lua_settop(sb->L, 0);
		return -1;
	}
	return protected_call(sb, 0, raw);
}

enum call_kind { CALL_MISSING, CALL_NOT_FUNCTION, CALL_MADE };

/* Run under lua_pcall (note 2), with a pointer to an enum call_kind: look sb->handler up
 * and call it with its objects. */
static int call_handler(lua_State *L)
{
	struct sb *sb = sb_of(L);
	enum call_kind *kind = lua_touserdata(L, 1);
	int t = lua_getglobal(L, sb->handler);
	if (t != LUA_TFUNCTION) {
		*kind = t == LUA_TNIL ? CALL_MISSING : CALL_NOT_FUNCTION;
		return 0;
	}
	bool with_joblet = strncmp(sb->handler, "joblet_", 7) == 0;
	sb_push_object(L, false, sb->worker);
	if (with_joblet)
		sb_push_object(L, true, sb->worker);
	*kind = CALL_MADE;
	lua_call(L, with_joblet ? 2 : 1, 0);
	return 0;
}

/* Run under lua_pcall (note 2): the type of each handler's global into an int array. */
static int list_handlers(lua_State *L)
{
	int *types = lua_touserdata(L, 1);
	for (size_t i = 0; script_handlers[i]; i++) {
		types[i] = lua_getglobal(L, script_handlers[i]);
		lua_pop(L, 1);
	}
	return 0;
}

static void handler_types(struct sb *sb, int types[N_HANDLERS])
{
	for (size_t i = 0; i < N_HANDLERS; i++)
		types[i] = LUA_TNONE;
	lua_pushcfunction(sb->L, list_handlers);
	lua_pushlightuserdata(sb->L, types);
	if (lua_pcall(sb->L, 1, 0, 0) != LUA_OK)
		lua_settop(sb->L, 0);
}

static json_t *defined_handlers(struct sb *sb)
{
	int types[N_HANDLERS];
	handler_types(sb, types);
	json_t *arr = json_array();
	for (size_t i = 0; i < N_HANDLERS; i++)
		if (types[i] == LUA_TFUNCTION)
			json_array_append_new(arr, json_string(script_handlers[i]));
	return arr;
}

/* A new call: its joblet facts (copied from the request), an empty schedule and output.
 * The last call's facts and schedule live on in its result. */
static void begin_call(struct sb *sb, json_t *call)
{
	json_t *jf = json_object_get(call, "joblet_facts");
	json_decref(sb->joblet_facts);
	sb->joblet_facts = jf ? json_deep_copy(jf) : json_object();
	json_decref(sb->schedule);
	sb->schedule = json_array();
	buf_free(&sb->out);
	sb->out_truncated = false;
	sb->handler = json_string_value(json_object_get(call, "handler"));
}

static void set_failure(struct sb *sb, json_t *res, const char *raw)
{
	json_object_set_new(res, "ok", json_false());
	if (sb->stopped != STOP_NONE) {
		char *m = stop_message(sb);
		json_object_set_new(res, "error", message_json(m));
		json_object_set_new(res, "stopped", json_string(stop_name(sb->stopped)));
		free(m);
	} else {
		json_object_set_new(res, "error", mapped_json(sb, raw));
	}
	json_object_set_new(res, "traceback", mapped_json(sb, sb->traceback));
}

/* One handler call: its result object. */
static json_t *run_call(struct sb *sb, json_t *call)
{
	begin_call(sb, call);
	json_t *res = json_pack("{s:s, s:b, s:b, s:n, s:n, s:n}", "handler", sb->handler, "called",
				0, "ok", 1, "error", "traceback", "stopped");
	if (sb->stopped != STOP_NONE) {
		json_object_set_new(res, "ok", json_false());
		json_object_set_new(res, "error", json_string("not run: the script was stopped"));
		json_object_set_new(res, "stopped", json_string(stop_name(sb->stopped)));
	} else {
		enum call_kind kind = CALL_MISSING;
		char *raw = NULL;
		lua_pushcfunction(sb->L, call_handler);
		lua_pushlightuserdata(sb->L, &kind);
		if (protected_call(sb, 1, &raw)) {
			set_failure(sb, res, raw);
		} else if (kind == CALL_NOT_FUNCTION) {
			char *m = xasprintf("%s is not a function", sb->handler);
			set_failure(sb, res, m);
			free(m);
		}
		json_object_set_new(res, "called", json_boolean(kind == CALL_MADE));
		free(raw);
	}
	json_object_set_new(res, "output", text_json(buf_cstr(&sb->out), sb->out.len, SIZE_MAX));
	json_object_set(res, "joblet_facts", sb->joblet_facts);
	json_object_set(res, "schedule", sb->schedule);
	return res;
}

/* ---- the request -------------------------------------------------------------------- */

struct request {
	bool worker;
	const char *chunkname, *text;
	size_t len;
	int first_line;
	long long instr, mem_mb;
	json_t *job_facts, *calls;	/* borrowed */
};

/* limits.KEY: def when absent, the value when an integer 1..max, else -1. */
static long long limit_of(json_t *req, const char *key, long long def, long long max)
{
	json_t *v = json_object_get(json_object_get(req, "limits"), key);
	if (v == NULL)
		return def;
	long long x = json_is_integer(v) ? (long long)json_integer_value(v) : -1;
	return x >= 1 && x <= max ? x : -1;
}

long long script_memory_mb(json_t *request)
{
	long long mb = limit_of(request, "memory_mb", DEFAULT_MEMORY_MB, MAX_MEMORY_MB);
	return mb > 0 ? mb : DEFAULT_MEMORY_MB;
}

static const char *check_calls(json_t *calls)
{
	size_t i;
	json_t *call;
	if (!json_is_array(calls) || json_array_size(calls) > MAX_CALLS)
		return "request: calls must be an array of at most 10000";
	json_array_foreach(calls, i, call) {
		const char *h = json_string_value(json_object_get(call, "handler"));
		json_t *jf = json_object_get(call, "joblet_facts");
		bool known = false;
		for (size_t k = 0; h && script_handlers[k]; k++)
			known = known || strcmp(h, script_handlers[k]) == 0;
		if (!known)
			return "request: each call needs a known handler (job_started, joblet_started,"
			       " joblet_completed, joblet_failed, job_completed)";
		if (jf && !json_is_object(jf))
			return "request: a call's joblet_facts must be an object";
	}
	return NULL;
}

/* Read and check the request into r; NULL, or what is wrong with it. */
static const char *read_request(json_t *req, struct request *r)
{
	const char *mode = json_string_value(json_object_get(req, "mode"));
	json_t *script = json_object_get(req, "script"), *fl = json_object_get(req, "first_line");
	json_t *name = json_object_get(req, "chunkname"), *limits = json_object_get(req, "limits");
	if (!json_is_object(req))
		return "request: not a JSON object";
	if (mode == NULL || (strcmp(mode, "server") != 0 && strcmp(mode, "worker") != 0))
		return "request: mode must be \"server\" or \"worker\"";
	if (!json_is_string(script))
		return "request: script must be text";
	if (name && (!json_is_string(name) || json_string_length(name) > MAX_CHUNKNAME ||
		     memchr(json_string_value(name), CHUNK_ID[0], json_string_length(name))))
		return "request: chunkname must be text of at most 1000 bytes, without byte 0x01";
	if (fl && (!json_is_integer(fl) || json_integer_value(fl) < 1 ||
		   json_integer_value(fl) > MAX_FIRST_LINE))
		return "request: first_line must be an integer from 1 to 10000000";
	if (limits && !json_is_object(limits))
		return "request: limits must be an object";
	r->instr = limit_of(req, "instructions", DEFAULT_INSTRUCTIONS, MAX_INSTRUCTIONS);
	r->mem_mb = limit_of(req, "memory_mb", DEFAULT_MEMORY_MB, MAX_MEMORY_MB);
	if (r->instr < 0 || r->mem_mb < 0)
		return "request: limits.instructions must be an integer from 1 to 2^50 and"
		       " limits.memory_mb one from 1 to 65536";
	r->job_facts = json_object_get(req, "job_facts");
	if (r->job_facts && !json_is_object(r->job_facts))
		return "request: job_facts must be an object";
	r->calls = json_object_get(req, "calls");
	r->worker = strcmp(mode, "worker") == 0;
	r->chunkname = name && json_string_length(name) ? json_string_value(name) : "script";
	r->text = json_string_value(script);
	r->len = json_string_length(script);
	r->first_line = fl ? (int)json_integer_value(fl) : 1;
	return check_calls(r->calls);
}

/* A reply (new); every argument is taken, stopped may be NULL. */
static json_t *reply_new(json_t *handlers, json_t *error, json_t *traceback, const char *stopped,
			 json_t *job_facts, json_t *results)
{
	json_t *reply = json_object();
	json_object_set_new(reply, "handlers", handlers);
	json_object_set_new(reply, "error", error);
	json_object_set_new(reply, "traceback", traceback);
	json_object_set_new(reply, "stopped", stopped ? json_string(stopped) : json_null());
	json_object_set_new(reply, "job_facts", job_facts);
	json_object_set_new(reply, "results", results);
	return reply;
}

/* The reply to a request that cannot run: its job facts come back as they were, so a
 * caller that stores them loses nothing. */
static json_t *bad_request(json_t *req, const char *why)
{
	json_t *jf = json_object_get(req, "job_facts");
	return reply_new(json_array(), json_string(why), json_null(), NULL,
			 json_is_object(jf) ? json_deep_copy(jf) : json_object(), json_array());
}

/* The top level failed or was stopped: the reply, with no results. */
static json_t *top_failed(struct sb *sb, const char *raw)
{
	json_t *err;
	if (sb->stopped != STOP_NONE) {
		char *m = stop_message(sb);
		err = message_json(m);
		free(m);
	} else {
		err = mapped_json(sb, raw);
	}
	return reply_new(json_array(), err, mapped_json(sb, sb->traceback), stop_name(sb->stopped),
			 json_incref(sb->job_facts), json_array());
}

json_t *script_run(json_t *req)
{
	struct request r;
	const char *why = read_request(req, &r);
	if (why)
		return bad_request(req, why);
	struct sb sb = {.worker = r.worker, .out = BUF_INIT, .chunkname = r.chunkname,
			.line_offset = r.first_line - 1};
	sb.job_facts = r.job_facts ? json_deep_copy(r.job_facts) : json_object();
	if (!sb_open(&sb, r.instr, r.mem_mb)) {
		sb_close(&sb);
		return bad_request(req, "cannot make a Lua state within the memory budget");
	}
	char *raw = NULL;
	json_t *reply;
	if (run_top(&sb, r.text, r.len, &raw)) {
		reply = top_failed(&sb, raw);
	} else {
		json_t *handlers = defined_handlers(&sb), *results = json_array(), *call;
		size_t i;
		json_array_foreach(r.calls, i, call) json_array_append_new(results, run_call(&sb, call));
		reply = reply_new(handlers, json_null(), json_null(), stop_name(sb.stopped),
				  json_incref(sb.job_facts), results);
	}
	free(raw);
	sb_close(&sb);
	return reply;
}

/* ---- deploy-time check -------------------------------------------------------------- */

static void add_problem(struct def_errors *e, char *msg /* taken */)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->msgs = xrealloc(e->msgs, e->cap, sizeof *e->msgs);
	}
	e->msgs[e->n++] = msg;
}

/* The top level's error as a problem at its line (the script's first line when Lua gave
 * none). */
static void add_top_problem(struct sb *sb, const char *file, int first_line, const char *raw,
			    struct def_errors *errs)
{
	long line = first_line;
	const char *text = raw;
	size_t digits = strncmp(raw, CHUNK_ID ":", 2) == 0 ? strspn(raw + 2, "0123456789") : 0;
	if (digits > 0 && digits < 10 && raw[2 + digits] == ':') {
		line = strtol(raw + 2, NULL, 10) + sb->line_offset;
		text = raw + 3 + digits + (raw[3 + digits] == ' ');
	}
	char *m = sb->stopped != STOP_NONE ? stop_message(sb) : map_lines(sb, text);
	add_problem(errs, xasprintf("%s:%ld:1: script: %s", file, line, m));
	free(m);
}

void script_check(const char *file, int first_line, const char *text, size_t len,
		  struct def_errors *errs)
{
	first_line = first_line > 0 && first_line <= MAX_FIRST_LINE ? first_line : 1;
	struct sb sb = {.out = BUF_INIT, .chunkname = file, .line_offset = first_line - 1};
	sb.job_facts = json_object();
	char *raw = NULL;
	int types[N_HANDLERS];
	if (!sb_open(&sb, DEFAULT_INSTRUCTIONS, DEFAULT_MEMORY_MB)) {
		add_problem(errs, xasprintf("%s:%d:1: script: cannot make a Lua state", file, first_line));
	} else if (run_top(&sb, text, len, &raw)) {
		add_top_problem(&sb, file, first_line, raw, errs);
	} else {
		handler_types(&sb, types);
		for (size_t i = 0; i < N_HANDLERS; i++)
			if (types[i] != LUA_TNIL && types[i] != LUA_TFUNCTION && types[i] != LUA_TNONE)
				add_problem(errs, xasprintf("%s:%d:1: script: %s must be a function, not"
							    " a %s", file, first_line,
							    script_handlers[i],
							    lua_typename(sb.L, types[i])));
	}
	free(raw);
	sb_close(&sb);
}
