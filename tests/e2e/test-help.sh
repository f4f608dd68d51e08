#!/usr/bin/env bash
# Help that fits habits: `jobgrid completion bash|zsh` made from the command table and the
# option tables, `jobgrid help CMD` (what `CMD --help` says), and a manual page per command
# made at build time.
source "$(dirname "$0")/lib.sh"
share="$JG_BUILD/share"

# The commands, as `jobgrid help` lists them (two spaces, the name, its summary).
mapfile -t cmds < <(jg help | sed -n 's/^  \([a-z]\+\) .*/\1/p')
((${#cmds[@]} > 30)) || fail "jobgrid help lists the commands: ${cmds[*]}"

# ---- help CMD is CMD --help, for every command.
for c in "${cmds[@]}"; do
	a=$(jg help "$c") || fail "jobgrid help $c failed"
	b=$(jg "$c" --help) || fail "jobgrid $c --help failed"
	[[ -n $a && $a == "$b" ]] || fail "help $c differs from $c --help"
done
log "ok: help CMD is CMD --help for all ${#cmds[@]} commands"
rc=0; out=$(jg help nosuch 2>&1) || rc=$?
expect_eq "$rc" 2 "help of an unknown command exits 2"
[[ $out == *"unknown command 'nosuch'"* ]] || fail "and names it: $out"

# ---- bash: the completion function, called as bash calls it.
complete_words() {	# WORD… (the last is the one being completed) → the candidates
	bash -c 'source <("$0" completion bash)
		COMP_WORDS=("${@}"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_jobgrid; printf "%s\n" "${COMPREPLY[@]}"' "$JOBGRID_BIN" jobgrid "$@"
}
expect_eq "$(bash -c 'source <("$0" completion bash); complete -p jobgrid' "$JOBGRID_BIN")" \
	"complete -o default -F _jobgrid jobgrid" "the script registers _jobgrid for jobgrid"
expect_eq "$(complete_words ad)" add "'jobgrid ad' completes to add"
expect_eq "$(complete_words w | tr '\n' ' ')" "wait workers worker " "'jobgrid w' lists the w commands"
expect_eq "$(complete_words "" | wc -l)" "$((${#cmds[@]} + 1))" "every command and help"
expect_eq "$(complete_words add --pri)" --priority "add --pri completes to --priority"
expect_eq "$(complete_words --server http://x add --after-)" \
	"$(printf -- '--after-ok\n--after-fail\n--after-any\n--after-group')" \
	"the command is found past a global option and its value"
got=$(complete_words add --)
for o in --name --group --cores --ram --time --joblets --constraint --after-ok --env-keep --server --json; do
	grep -qx -- "$o" <<<"$got" || fail "add's options hold $o: $got"
done
expect_eq "$(complete_words worker --run)" --run-as-owner "worker --run completes"
expect_eq "$(complete_words remove --f)" --force "remove takes --force"
expect_eq "$(complete_words cancel --f)" "" "cancel does not offer remove's --force"
expect_eq "$(complete_words help sh | tr '\n' ' ')" "show shutdown " "help completes command names"
expect_eq "$(complete_words completion "")" "$(printf 'bash\nzsh')" "completion's shells"
expect_eq "$(complete_words add -- ech)" "" "past the options nothing is offered (bash's file names)"
cmp -s <(jg completion bash) "$share/completion/jobgrid" || fail "the built bash script is what the binary prints"
grep -q '^#compdef jobgrid' "$share/completion/_jobgrid" || fail "a zsh completion file was built"
if command -v zsh >/dev/null; then
	zsh -n "$share/completion/_jobgrid" || fail "the zsh script parses"
fi
rc=0; out=$(jg completion fish 2>&1) || rc=$?
expect_eq "$rc" 2 "completion fish exits 2"
[[ $out == *"must be bash or zsh, got 'fish'"* ]] || fail "and says why: $out"

# ---- man pages: one per command and jobgrid.1, readable by man.
for c in "${cmds[@]}"; do
	page="$share/man/man1/jobgrid-$c.1"
	[[ -s $page ]] || fail "no manual page for $c"
done
expect_eq "$(find "$share/man/man1" -name '*.1' | wc -l)" "$((${#cmds[@]} + 1))" "a page per command and jobgrid.1"
text=$(MANWIDTH=100 man -l "$share/man/man1/jobgrid-add.1" 2>&1) || fail "man -l jobgrid-add.1 failed: $text"
[[ $text == *"jobgrid-add - add jobs"* ]] || fail "the page's NAME line: $text"
[[ $text == *"usage: jobgrid add [--name N]"* ]] || fail "the page holds add --help: $text"
grep -qx -- '--after-ok VALUE' <<<"$(sed 's/^ *//' <<<"$text")" || fail "the page lists the options"
text=$(MANWIDTH=100 man -l "$share/man/man1/jobgrid.1" 2>&1) || fail "man -l jobgrid.1 failed"
for c in "${cmds[@]}"; do
	[[ $text == *"jobgrid-$c(1)"* ]] || fail "jobgrid(1) lists $c"
done
rc=0; out=$(jg help --man 2>&1) || rc=$?
expect_eq "$rc" 2 "help --man without a directory exits 2"
log "PASS"
