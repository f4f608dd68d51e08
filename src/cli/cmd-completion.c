/* `jobgrid completion bash|zsh`: a completion script made from the command table and
 * each command's option table, so it knows every command and option this binary has. */
#include "cli/cli.h"
#include <stdio.h>
#include <string.h>

static int completion_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_completion = {
	"completion", "bash|zsh",
	"print a shell completion script (bash: source <(jobgrid completion bash))",
	completion_exec,
	.options = cli_help_only_options,
};

/* The options read before the command, and those of them that take a value. */
static const char global_opts[] = "--server --ca --token-file --json --version --help";
static const char global_valued[] = "--server|--ca|--token-file";

static void command_names(void)
{
	size_t n;
	const struct cli_cmd *const *cmds = cli_commands(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " " : "", cmds[i]->name);
}

static void option_names(const struct cli_cmd *cmd)
{
	for (const struct option *o = cli_options(cmd); o->name; o++)
		printf("%s--%s", o == cli_options(cmd) ? "" : " ", o->name);
}

/* One case arm per command (completion has its own): BEFORE, the option names, AFTER. */
static void option_arms(const char *before, const char *after)
{
	size_t n;
	const struct cli_cmd *const *cmds = cli_commands(&n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cmds[i]->name, "completion") == 0)
			continue;
		printf("\t%s) %s", cmds[i]->name, before);
		option_names(cmds[i]);
		printf("%s ;;\n", after);
	}
}

/* The word scan both shells share: the command is the first word that is not a global
 * option or its value. */
static void bash_script(void)
{
	printf("# bash completion for jobgrid (made by `jobgrid completion bash`)\n"
	       "_jobgrid() {\n"
	       "\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmd= i opts=\n"
	       "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	       "\t\tcase ${COMP_WORDS[i]} in\n"
	       "\t\t%s) ((i++)) ;;\n"
	       "\t\t-*) ;;\n"
	       "\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n"
	       "\t\tesac\n"
	       "\tdone\n"
	       "\tcase $cmd in\n"
	       "\t'') [[ $cur == -* ]] && opts='%s' || opts='help ", global_valued, global_opts);
	command_names();
	printf("' ;;\n\thelp) opts='");
	command_names();
	printf("' ;;\n\tcompletion) opts='bash zsh' ;;\n");
	option_arms("[[ $cur == -* ]] && opts='", "'");
	printf("\tesac\n"
	       "\t# Nothing to offer (a value, a command's arguments): bash's file names.\n"
	       "\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	       "}\n"
	       "complete -o default -F _jobgrid jobgrid\n");
}

/* text inside a zsh single-quoted `name:description`: ' and : escaped. */
static void zsh_quoted(const char *text)
{
	for (const char *p = text; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", stdout);
		else if (*p == ':')
			fputs("\\:", stdout);
		else
			putchar(*p);
	}
}

static void zsh_script(void)
{
	printf("#compdef jobgrid\n"
	       "# zsh completion for jobgrid (made by `jobgrid completion zsh`)\n"
	       "_jobgrid() {\n"
	       "\tlocal -a commands opts\n"
	       "\tlocal i cmd=\n"
	       "\tcommands=(\n");
	size_t n;
	const struct cli_cmd *const *cmds = cli_commands(&n);
	for (size_t i = 0; i < n; i++) {
		printf("\t\t'%s:", cmds[i]->name);
		zsh_quoted(cmds[i]->summary);
		printf("'\n");
	}
	printf("\t\t'help:what a command does and takes'\n"
	       "\t)\n"
	       "\tfor ((i = 2; i < CURRENT; i++)); do\n"
	       "\t\tcase $words[i] in\n"
	       "\t\t%s) ((i++)) ;;\n"
	       "\t\t-*) ;;\n"
	       "\t\t*) cmd=$words[i]; break ;;\n"
	       "\t\tesac\n"
	       "\tdone\n"
	       "\tcase $cmd in\n"
	       "\t'') [[ $PREFIX == -* ]] && compadd -- %s ||"
	       " _describe -t commands 'jobgrid command' commands; return ;;\n"
	       "\thelp) _describe -t commands 'jobgrid command' commands; return ;;\n"
	       "\tcompletion) compadd bash zsh; return ;;\n", global_valued, global_opts);
	option_arms("opts=(", ")");
	printf("\tesac\n"
	       "\tif [[ $PREFIX == -* ]]; then compadd -- $opts; else _files; fi\n"
	       "}\n"
	       "# Autoloaded from $fpath the file is the function; sourced, it registers itself.\n"
	       "if [[ $funcstack[1] == _jobgrid ]]; then _jobgrid \"$@\"; else compdef _jobgrid"
	       " jobgrid; fi\n");
}

static int completion_exec(int argc, char **argv)
{
	if (cli_wants_help(argc, argv))
		return cli_help(&cli_cmd_completion);
	if (argc != 2)
		return cli_usage_error(&cli_cmd_completion, "give the shell: bash or zsh%s", "");
	if (strcmp(argv[1], "bash") == 0)
		bash_script();
	else if (strcmp(argv[1], "zsh") == 0)
		zsh_script();
	else
		return cli_usage_error(&cli_cmd_completion, "the shell must be bash or zsh, got"
				       " '%s'", argv[1]);
	return EXIT_OK;
}
