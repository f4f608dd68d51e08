/* Peer identities on the Unix socket (src/auth/peer.h) and server addresses
 * (src/base/srvurl.h): root and the server's own account are trusted, another account is
 * a user by its name, a uid with no account is refused; unix:PATH goes over the socket. */
#include "auth/peer.h"
#include "base/intern.h"
#include "base/srvurl.h"
#include <criterion/criterion.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void teardown(void)
{
	intern_free_all();
}

TestSuite(peer, .fini = teardown);

/* A uid that no account has: the first free one from 61000. */
static uid_t free_uid(void)
{
	uid_t u = 61000;
	while (getpwuid(u) != NULL)
		u++;
	return u;
}

Test(peer, root_and_the_server_account_are_trusted)
{
	struct principal p;
	char why[200];
	cr_assert_eq(peer_principal_of_uid(0, 4242, &p, why, sizeof why), 0);
	cr_assert_str_eq(p.name, getpwuid(0)->pw_name);
	cr_assert_eq(p.roles, ROLES_TRUSTED);
	/* The server's own account: nobody stands in for it here. */
	struct passwd *nobody = getpwnam("nobody");
	if (nobody == NULL)
		return;
	cr_assert_eq(peer_principal_of_uid(nobody->pw_uid, nobody->pw_uid, &p, why, sizeof why), 0);
	cr_assert_eq(p.roles, ROLES_TRUSTED);
}

Test(peer, another_account_is_a_user_by_its_name)
{
	struct principal p;
	char why[200];
	struct passwd *nobody = getpwnam("nobody");
	if (nobody == NULL)
		cr_skip_test("needs the account nobody");
	uid_t uid = nobody->pw_uid;
	cr_assert_eq(peer_principal_of_uid(uid, 0, &p, why, sizeof why), 0);
	cr_assert_str_eq(p.name, "nobody");
	cr_assert_eq(p.roles, ROLE_USER, "a user, not an admin nor a worker");
	cr_assert(principal_owns(&p, "nobody"));
	cr_assert_not(principal_owns(&p, "root"), "a user owns only their own");
}

Test(peer, a_uid_without_an_account_is_refused)
{
	struct principal p = {NULL, 0};
	char why[200];
	uid_t u = free_uid();
	cr_assert_eq(peer_principal_of_uid(u, 0, &p, why, sizeof why), -1);
	char want[64];
	snprintf(want, sizeof want, "the local uid %lu has no account", (unsigned long)u);
	cr_assert_str_eq(why, want);
	cr_assert_null(p.name, "nothing set on a refusal");
}

Test(peer, credentials_come_from_the_socket)
{
	int sv[2];
	struct principal p;
	char why[200];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(peer_principal(sv[0], &p, why, sizeof why), 0, "%s", why);
	cr_assert_str_eq(p.name, getpwuid(geteuid())->pw_name);
	cr_assert_eq(p.roles, ROLES_TRUSTED, "the server's own account is trusted");
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(peer_principal(-1, &p, why, sizeof why), -1);
	cr_assert(strstr(why, "credentials") != NULL, "%s", why);
}

Test(srvurl, addresses)
{
	cr_assert_null(srvurl_check("http://127.0.0.1:7370"));
	cr_assert_null(srvurl_check("https://grid.example:7370"));
	cr_assert_null(srvurl_check("unix:/var/lib/jobgrid/jobgrid.sock"));
	cr_assert_not_null(srvurl_check("unix:"), "a path is needed");
	cr_assert_not_null(srvurl_check("ftp://x"));
	char longp[200];
	memset(longp, 'a', sizeof longp);
	memcpy(longp, "unix:/", 6);
	longp[5 + 108] = '\0';	/* a 108-byte path: one more than a socket's */
	cr_assert_not_null(srvurl_check(longp));
	longp[5 + 107] = '\0';
	cr_assert_null(srvurl_check(longp));
}

Test(srvurl, targets)
{
	char url[256];
	const char *sock;
	srvurl_target("unix:/d/jobgrid.sock", "/v1/jobs", url, sizeof url, &sock);
	cr_assert_str_eq(url, "http://localhost/v1/jobs");
	cr_assert_str_eq(sock, "/d/jobgrid.sock");
	srvurl_target("http://127.0.0.1:7370", "/v1/jobs", url, sizeof url, &sock);
	cr_assert_str_eq(url, "http://127.0.0.1:7370/v1/jobs");
	cr_assert_null(sock, "TCP: no socket");
}
