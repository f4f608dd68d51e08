/* The API document (docs/openapi.json, compiled in: src/api/openapi.h) against the route
 * table of src/api/http.c: every route is described with its roles and operationId, and
 * the document describes no route the table lacks. A route added on one side only fails
 * here, naming the route and what is missing. */
#include "api/call.h"
#include "api/openapi.h"
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static json_t *doc;	/* owned: the parsed document, for every test */

static void load(void)
{
	json_error_t e;
	doc = json_loadb((const char *)jg_openapi_json, jg_openapi_json_len, 0, &e);
	cr_assert(doc, "docs/openapi.json is not JSON: line %d: %s", e.line, e.text);
}

static void unload(void)
{
	json_decref(doc);
}

/* A document path with each {name} segment written '*', as the route table writes it. */
static void to_pattern(const char *path, char *out, size_t len)
{
	size_t at = 0;
	for (const char *p = path; *p && at + 2 < len; p++) {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			if (end) {
				out[at++] = '*';
				p = end;
				continue;
			}
		}
		out[at++] = *p;
	}
	out[at] = '\0';
}

/* The operation for METHOD (upper case) and PATTERN, or NULL. */
static json_t *find_op(const char *method, const char *pattern)
{
	const char *path;
	json_t *item;
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		char pat[300], m[16];
		to_pattern(path, pat, sizeof pat);
		if (strcmp(pat, pattern) != 0)
			continue;
		size_t i;
		for (i = 0; method[i] && i + 1 < sizeof m; i++)
			m[i] = (char)(method[i] | 0x20);	/* OpenAPI keys are lower case */
		m[i] = '\0';
		return json_object_get(item, m);
	}
	return NULL;
}

/* The roles a route admits, as `jobgrid routes` and x-jobgrid-roles name them. */
static void roles_text(unsigned roles, char *out, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{ROLE_ANON, "anon"}, {ROLE_WORKER, "worker"}, {ROLE_USER, "user"},
		     {ROLE_ADMIN, "admin"}};
	out[0] = '\0';
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (roles & names[i].bit)
			snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "",
				 names[i].name);
}

static void doc_roles_text(json_t *list, char *out, size_t len)
{
	size_t i;
	json_t *v;
	out[0] = '\0';
	json_array_foreach(list, i, v)
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? "," : "",
			 json_is_string(v) ? json_string_value(v) : "(not a string)");
}

struct seen {
	int n;
	char keys[128][320];	/* "METHOD PATTERN" of each route */
};

static void check_route(void *arg, const struct route *r)
{
	struct seen *s = arg;
	cr_assert_lt(s->n, 128, "more routes than this test expects: raise keys[]");
	snprintf(s->keys[s->n++], sizeof s->keys[0], "%s %s", r->method, r->pattern);
	json_t *op = find_op(r->method, r->pattern);
	cr_assert(op, "route %s %s (%s) is not in docs/openapi.json: add it under \"paths\" "
		  "(each '*' as a {name} parameter)", r->method, r->pattern, r->name);
	char want[64], got[64];
	roles_text(r->roles, want, sizeof want);
	doc_roles_text(json_object_get(op, "x-jobgrid-roles"), got, sizeof got);
	cr_assert_str_eq(got, want, "route %s %s: docs/openapi.json has x-jobgrid-roles [%s], "
			 "the route table admits [%s]", r->method, r->pattern, got, want);
	const char *id = json_string_value(json_object_get(op, "operationId"));
	cr_assert(id && strcmp(id, r->name) == 0, "route %s %s: operationId is %s, the route "
		  "table names it %s", r->method, r->pattern, id ? id : "missing", r->name);
	cr_assert(json_object_get(op, "responses"), "route %s %s: no responses", r->method,
		  r->pattern);
}

Test(openapi, every_route_is_described, .init = load, .fini = unload)
{
	struct seen s = {0};
	http_route_counters(check_route, &s);
	cr_assert_gt(s.n, 30, "the route table has routes");
}

static bool in_table(const struct seen *s, const char *key)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->keys[i], key) == 0)
			return true;
	return false;
}

static void collect(void *arg, const struct route *r)
{
	struct seen *s = arg;
	if (s->n < 128)
		snprintf(s->keys[s->n++], sizeof s->keys[0], "%s %s", r->method, r->pattern);
}

Test(openapi, describes_no_route_the_table_lacks, .init = load, .fini = unload)
{
	static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head",
					      "options", "trace"};
	struct seen s = {0};
	http_route_counters(collect, &s);
	const char *path;
	json_t *item;
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		char pat[300];
		to_pattern(path, pat, sizeof pat);
		for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
			if (!json_object_get(item, methods[i]))
				continue;
			char key[320], up[16];
			size_t k;
			for (k = 0; methods[i][k]; k++)
				up[k] = (char)(methods[i][k] & ~0x20);
			up[k] = '\0';
			snprintf(key, sizeof key, "%s %s", up, pat);
			cr_assert(in_table(&s, key), "docs/openapi.json describes %s %s, which the "
				  "route table of src/api/http.c lacks", up, path);
		}
	}
}

/* Every {name} in a path is declared as a path parameter of each of its operations. */
Test(openapi, path_parameters_are_declared, .init = load, .fini = unload)
{
	const char *path, *method;
	json_t *item, *op;
	json_object_foreach(json_object_get(doc, "paths"), path, item) {
		json_object_foreach(item, method, op) {
			for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
				const char *end = strchr(p, '}');
				cr_assert(end, "%s: unclosed {", path);
				bool found = false;
				size_t i;
				json_t *prm;
				json_array_foreach(json_object_get(op, "parameters"), i, prm) {
					const char *n = json_string_value(json_object_get(prm, "name"));
					const char *in = json_string_value(json_object_get(prm, "in"));
					if (n && in && strcmp(in, "path") == 0 &&
					    strlen(n) == (size_t)(end - p - 1) &&
					    strncmp(n, p + 1, strlen(n)) == 0)
						found = true;
				}
				cr_assert(found, "%s %s: the path parameter %.*s is not declared", method,
					  path, (int)(end - p + 1), p);
			}
		}
	}
}

/* The error shape's codes are the server's (src/base/errors.def), no more, no fewer. */
static const char *const server_codes[] = {
#define ERR(name, code, status, exitc, msg) code,
#include "base/errors.def"
#undef ERR
};
#define NCODES (sizeof server_codes / sizeof server_codes[0])

static bool in_list(json_t *list, const char *code)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), code) == 0)
			return true;
	return false;
}

Test(openapi, error_codes_are_the_servers, .init = load, .fini = unload)
{
	json_t *err = json_object_get(json_object_get(json_object_get(doc, "components"),
						      "schemas"), "Error");
	json_t *code = json_object_get(json_object_get(json_object_get(json_object_get(
		json_object_get(err, "properties"), "error"), "properties"), "code"), "enum");
	cr_assert(json_is_array(code), "components.schemas.Error lists the codes as an enum");
	for (size_t i = 0; i < NCODES; i++)
		cr_assert(in_list(code, server_codes[i]), "error code %s (src/base/errors.def) is "
			  "not in docs/openapi.json's Error enum", server_codes[i]);
	size_t i;
	json_t *v;
	json_array_foreach(code, i, v) {
		bool known = false;
		for (size_t k = 0; k < NCODES; k++)
			known |= strcmp(json_string_value(v), server_codes[k]) == 0;
		cr_assert(known, "docs/openapi.json's Error enum has %s, which src/base/errors.def "
			  "lacks", json_string_value(v));
	}
}
