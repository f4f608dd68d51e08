#!/usr/bin/env bash
# The dashboard's files (docs/DASHBOARD.md): GET / and GET /ui/NAME serve what web/ holds,
# compiled into the binary, open to every caller (they carry no data, also with --auth),
# with a strict Content-Security-Policy, nosniff, and an ETag a browser revalidates with
# (304). An unknown file is 404, other methods 405; the page's scripts never set a cookie.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_server --auth

# get PATH [CURL ARGS]: the status; headers in $T/headers (lowercase), body in $T/body
get() {
	: >"$T/body"
	curl -sS -D "$T/h" -o "$T/body" -w '%{http_code}' "${@:2}" "$JOBGRID_URL$1"
	tr -d '\r' <"$T/h" | sed 's/^[^:]*:/\L&/' >"$T/headers"
}
header() { sed -n "s/^$1: //p" "$T/headers" | head -1; }

log "GET / is web/index.html, open without a token"
expect_eq "$(get /)" 200 "GET / without a token"
cmp -s "$T/body" "$ROOT/web/index.html" || fail "GET / is not web/index.html"
expect_eq "$(header content-type)" "text/html; charset=utf-8" "index's type"
csp=$(header content-security-policy)
for rule in "default-src 'self'" "script-src 'self'" "style-src 'self'" "connect-src 'self'" \
	"frame-ancestors 'none'" "object-src 'none'"; do
	[[ $csp == *"$rule"* ]] || fail "the CSP lacks $rule: $csp"
done
[[ $csp != *unsafe-inline* && $csp != *unsafe-eval* ]] || fail "the CSP allows inline code: $csp"
expect_eq "$(header x-content-type-options)" nosniff "nosniff"
[[ -z $(header set-cookie) ]] || fail "a cookie was set"
etag=$(header etag)
[[ $etag =~ ^\"[0-9a-f]{32}\"$ ]] || fail "no strong ETag: '$etag'"

log "revalidation: the same ETag is 304 with no body; another is 200"
expect_eq "$(get / -H "If-None-Match: $etag")" 304 "If-None-Match with the ETag"
[[ ! -s $T/body ]] || fail "a 304 with a body"
expect_eq "$(get / -H "If-None-Match: \"x\", W/$etag")" 304 "the ETag in a list, weak"
expect_eq "$(get / -H 'If-None-Match: "0123"')" 200 "another ETag"

log "every file of web/ and web/vendor/ at /ui/NAME, with its type, the CSP and nosniff"
n=0
for f in "$ROOT"/web/* "$ROOT"/web/vendor/*; do
	[[ -f $f ]] || continue
	name=${f##*/}
	expect_eq "$(get "/ui/$name")" 200 "GET /ui/$name"
	cmp -s "$T/body" "$f" || fail "/ui/$name is not web/$name"
	case $name in
	*.js) want="text/javascript; charset=utf-8" ;;
	*.css) want="text/css; charset=utf-8" ;;
	*.html) want="text/html; charset=utf-8" ;;
	*.txt) want="text/plain; charset=utf-8" ;;
	*) want=$(header content-type) ;;
	esac
	expect_eq "$(header content-type)" "$want" "type of $name"
	expect_eq "$(header x-content-type-options)" nosniff "nosniff on $name"
	[[ -n $(header content-security-policy) ]] || fail "no CSP on $name"
	n=$((n + 1))
done
((n >= 5)) || fail "web/ holds too few files: $n"

log "an unknown file is 404 naming it; a POST is 405; nothing is served outside web/"
expect_eq "$(get /ui/nothing.js)" 404 "an unknown file"
expect_eq "$(jq -r .error.field "$T/body")" name "the 404 names the field"
expect_eq "$(get /ui/..%2Fdata%2Fadmin.token)" 404 "a path out of web/"
expect_eq "$(get /ui/ )" 404 "/ui/ alone"
expect_eq "$(get / -X POST)" 405 "POST /"

log "the page's code keeps the token out of cookies and calls with a header"
! grep -l 'document\.cookie' "$ROOT"/web/*.js || fail "a script touches cookies"
grep -q 'Authorization' "$ROOT/web/api.js" || fail "api.js sends no Authorization header"
! grep -lE '<script>|<style>| style=' "$ROOT/web/index.html" || fail "inline script or style in index.html"
log "PASS"
