/* known_servers and tokens (src/tls/pins.h): parsing with errors that name the file, the
 * line and the rule; find, set, remove; the atomic 0600 rewrite that keeps comments. */
#include "tls/pins.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FP1 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FP2 "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define TOK "jg_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static int parse(struct pins *p, enum pins_kind kind, const char *text, char **err)
{
	*err = NULL;
	return pins_parse(p, "/cfg/known_servers", kind, text, strlen(text), err);
}

Test(pins, parses_and_finds)
{
	struct pins p;
	char *err;
	const char *text = "# pinned by jobgrid login\n\n"
			   "https://a.example:7370 " FP1 "\n"
			   "  https://[::1]:7370\t" FP2 "  \n"
			   "http://b:1 " FP1;
	cr_assert_eq(parse(&p, PINS_FINGERPRINT, text, &err), 0, "%s", err ? err : "");
	int line = 0;
	cr_assert_str_eq(pins_find(&p, "https://a.example:7370", &line), FP1);
	cr_assert_eq(line, 3);
	cr_assert_str_eq(pins_find(&p, "https://a.example:7370/", NULL), FP1, "a trailing / is ignored");
	cr_assert_str_eq(pins_find(&p, "https://[::1]:7370", &line), FP2);
	cr_assert_eq(line, 4);
	cr_assert_null(pins_find(&p, "https://a.example:7371", NULL), "the port is part of the URL");
	cr_assert_null(pins_find(&p, "http://a.example:7370", NULL), "so is the scheme");
	pins_free(&p);
}

Test(pins, refuses_with_file_line_and_rule)
{
	static const struct {
		enum pins_kind kind;
		const char *text, *want;
	} cases[] = {
		{PINS_FINGERPRINT, "https://a:1\n", "line 1: expected two fields, URL VALUE"},
		{PINS_FINGERPRINT, "# ok\nhttps://a:1 " FP1 " extra\n", "line 2: expected two fields"},
		{PINS_FINGERPRINT, "https://a:1 sha256:abc\n", "line 1: the fingerprint is sha256:"},
		{PINS_FINGERPRINT, "https://a:1 " FP1 "\nhttps://a:1 " FP2 "\n",
		 "line 2: a second line for the same URL"},
		{PINS_FINGERPRINT, "ftp://a:1 " FP1 "\n", "line 1: the URL is http://"},
		{PINS_FINGERPRINT, "https://a:1/ " FP1 "\n", "no trailing /"},
		{PINS_FINGERPRINT, "https://a:1 " FP1 "\r\n", "line 1: a carriage return"},
		{PINS_FINGERPRINT, "https://a:1 SHA256:0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n",
		 "lowercase"},
		{PINS_TOKEN, "https://a:1 " FP1 "\n", "line 1: the token is jg_"},
		{PINS_TOKEN, "https://a:1 jg_0011\n", "the token is jg_ and 64 lowercase hex"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pins p;
		char *err;
		cr_assert_eq(parse(&p, cases[i].kind, cases[i].text, &err), -1, "case %zu accepted", i);
		cr_assert(err && strstr(err, "/cfg/known_servers line ") && strstr(err, cases[i].want),
			  "case %zu: '%s' should name the file, the line and '%s'", i, err ? err : "",
			  cases[i].want);
		free(err);
		pins_free(&p);
	}
	struct pins p;
	char *err = NULL;
	cr_assert_eq(pins_parse(&p, "f", PINS_TOKEN, "https://a:1 \0x\n", 16, &err), -1);
	cr_assert(strstr(err, "f line 1: a NUL byte"), "%s", err);
	free(err);
	pins_free(&p);
}

Test(pins, tokens)
{
	struct pins p;
	char *err;
	cr_assert_eq(parse(&p, PINS_TOKEN, "unix:/var/lib/jobgrid/jobgrid.sock " TOK "\n", &err), 0,
		     "%s", err ? err : "");
	cr_assert_str_eq(pins_find(&p, "unix:/var/lib/jobgrid/jobgrid.sock", NULL), TOK);
	pins_free(&p);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	static char buf[4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(pins, set_remove_save)
{
	char dir[] = "/tmp/jg-pins-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char path[512];
	snprintf(path, sizeof path, "%s/cfg/jobgrid/known_servers", dir);
	struct pins p;
	char *err = NULL;
	cr_assert_eq(pins_load(&p, path, PINS_FINGERPRINT, &err), 0, "an absent file is empty");
	cr_assert_eq(p.n, 0);
	pins_free(&p);
	/* A file with a comment: kept through rewrites. */
	char cfg[400];
	snprintf(cfg, sizeof cfg, "%s/cfg/jobgrid", dir);
	snprintf(path, sizeof path, "%s/cfg", dir);
	mkdir(path, 0755);
	mkdir(cfg, 0700);
	snprintf(path, sizeof path, "%s/known_servers", cfg);
	FILE *f = fopen(path, "w");
	fprintf(f, "# mine\nhttps://a:1 %s\n", FP1);
	fclose(f);
	cr_assert_eq(pins_load(&p, path, PINS_FINGERPRINT, &err), 0, "%s", err ? err : "");
	pins_set(&p, "https://b:2/", FP2);
	pins_set(&p, "https://a:1", FP2);	/* replaces in place */
	cr_assert_eq(pins_save(&p, &err), 0, "%s", err ? err : "");
	pins_free(&p);
	cr_assert_str_eq(slurp(path), "# mine\nhttps://a:1 " FP2 "\nhttps://b:2 " FP2 "\n");
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "the file is 0600");
	cr_assert_eq(pins_load(&p, path, PINS_FINGERPRINT, &err), 0);
	cr_assert(pins_remove(&p, "https://a:1"));
	cr_assert_not(pins_remove(&p, "https://a:1"), "removed once");
	cr_assert_eq(pins_save(&p, &err), 0);
	pins_free(&p);
	cr_assert_str_eq(slurp(path), "# mine\nhttps://b:2 " FP2 "\n");
	/* A fresh directory is made 0700. */
	snprintf(path, sizeof path, "%s/new/jobgrid/tokens", dir);
	cr_assert_eq(pins_load(&p, path, PINS_TOKEN, &err), 0);
	pins_set(&p, "https://c:3", TOK);
	cr_assert_eq(pins_save(&p, &err), 0, "%s", err ? err : "");
	pins_free(&p);
	snprintf(path, sizeof path, "%s/new/jobgrid", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700, "the directory is 0700");
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

Test(pins, path)
{
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	char *p = pins_path("tokens");
	cr_assert_str_eq(p, "/x/cfg/jobgrid/tokens");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/u", 1);
	p = pins_path("known_servers");
	cr_assert_str_eq(p, "/home/u/.config/jobgrid/known_servers");
	free(p);
}
