/* KEY = VALUE settings files: what is read, and what is refused with the file, the line
 * and the rule. */
#include "base/conf.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {"server", "ca", "group", "run-as-owner", NULL};

static int parse(const char *text, struct conf *c, char **err)
{
	*err = NULL;
	return conf_parse("/etc/x.conf", text, strlen(text), keys, c, err);
}

Test(conf, reads_keys_values_comments_and_blanks)
{
	struct conf c;
	char *err;
	cr_assert_eq(parse("# a comment\n\n  server =  https://grid:7370  \n"
			   "group=nightly\r\n\t# indented comment\nca = /etc/ca.pem", &c, &err), 0,
		     "%s", err);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(conf_get(&c, "server"), "https://grid:7370");
	cr_assert_str_eq(conf_get(&c, "group"), "nightly");
	cr_assert_str_eq(conf_get(&c, "ca"), "/etc/ca.pem", "a last line without a newline");
	cr_assert_eq(c.v[2].line, 6);
	cr_assert_null(conf_get(&c, "run-as-owner"));
	conf_free(&c);
}

Test(conf, value_keeps_inner_spaces_and_equals)
{
	struct conf c;
	char *err;
	cr_assert_eq(parse("group = a = b c # not a comment\nca =\n", &c, &err), 0, "%s", err);
	cr_assert_str_eq(conf_get(&c, "group"), "a = b c # not a comment");
	cr_assert_str_eq(conf_get(&c, "ca"), "", "an empty value is the reader's to judge");
	conf_free(&c);
}

static void refused(const char *text, const char *want)
{
	struct conf c;
	char *err;
	cr_assert_eq(parse(text, &c, &err), -1, "'%s' should be refused", text);
	cr_assert_not_null(strstr(err, want), "'%s': got '%s', want '%s'", text, err, want);
	cr_assert_eq(c.n, 0);
	cr_assert_null(c.v);
	free(err);
}

Test(conf, errors_name_file_line_and_rule)
{
	refused("server = x\nspeed = 3\n",
		"/etc/x.conf:2: unknown key 'speed' (known: server, ca, group, run-as-owner)");
	refused("\n\nserver\n", "/etc/x.conf:3: a line is KEY = VALUE: '=' expected after 'server'");
	refused("= x\n", "/etc/x.conf:1: a line is KEY = VALUE, KEY of a-z, 0-9 and '-'");
	refused("Server = x\n", "KEY of a-z");
	refused("server x\n", "'=' expected after 'server'");
	refused("server = a\n# c\nserver = b\n", "/etc/x.conf:3: 'server' is given twice (first on line 1)");
}

Test(conf, nul_byte_refused)
{
	struct conf c;
	char *err = NULL;
	static const char text[] = "group = a\0b\n";
	cr_assert_eq(conf_parse("f", text, sizeof text - 1, keys, &c, &err), -1);
	cr_assert_not_null(strstr(err, "f:1: a settings file is text"), "%s", err);
	free(err);
}

Test(conf, missing_file_optional_or_not)
{
	struct conf c;
	char *err = NULL;
	cr_assert_eq(conf_load("/nonexistent/jobgrid.conf", 1, keys, &c, &err), 0);
	cr_assert_eq(c.n, 0);
	conf_free(&c);
	cr_assert_eq(conf_load("/nonexistent/jobgrid.conf", 0, keys, &c, &err), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/jobgrid.conf: No such file"), "%s", err);
	free(err);
}
