/* Choosing the next server of a --server list: splitting, the standby's hint followed
 * only within the list, the round order. */
#include "base/failover.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void free_urls(char **urls, int n)
{
	for (int i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
}

Test(failover, split)
{
	char **u;
	int n = failover_split("http://a:1,,https://b:2/,unix:/x/jobgrid.sock,", &u);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(u[0], "http://a:1");
	cr_assert_str_eq(u[1], "https://b:2/");
	cr_assert_str_eq(u[2], "unix:/x/jobgrid.sock");
	free_urls(u, n);
	cr_assert_eq(failover_split(",,", &u), 0);
	cr_assert_null(u);
	cr_assert_eq(failover_split("", &u), 0);
}

Test(failover, next_goes_round)
{
	char *u[] = {"http://a:1", "http://b:2", "http://c:3"};
	cr_assert_eq(failover_next(u, 3, 0, NULL), 1);
	cr_assert_eq(failover_next(u, 3, 2, NULL), 0);
	cr_assert_eq(failover_next(u, 3, 1, ""), 2);
	cr_assert_eq(failover_next(u, 1, 0, NULL), 0);
}

Test(failover, hint_followed_only_within_the_list)
{
	char *u[] = {"http://a:1", "http://b:2", "http://c:3"};
	cr_assert_eq(failover_next(u, 3, 0, "http://c:3"), 2);
	cr_assert_eq(failover_next(u, 3, 0, "http://c:3/"), 2, "a trailing slash is the same server");
	cr_assert_eq(failover_next(u, 3, 0, "http://evil:3"), 1, "a hint outside the list is not trusted");
	cr_assert_eq(failover_next(u, 3, 1, "http://b:2"), 2, "a hint naming itself moves on");
	cr_assert_eq(failover_next(u, 3, 0, "http://c:33"), 1, "a prefix is not the server");
}

Test(failover, not_leader_reply)
{
	char hint[64];
	const char *body = "{\"error\":{\"code\":\"not_leader\",\"message\":\"m\",\"leader\":\"http://b:2\"}}";
	cr_assert(failover_not_leader(body, strlen(body), hint, sizeof hint));
	cr_assert_str_eq(hint, "http://b:2");
	body = "{\"error\":{\"code\":\"not_leader\",\"message\":\"m\"}}";
	cr_assert(failover_not_leader(body, strlen(body), hint, sizeof hint));
	cr_assert_str_eq(hint, "", "no leader known yet");
	body = "{\"error\":{\"code\":\"draining\",\"leader\":\"http://b:2\"}}";
	cr_assert_not(failover_not_leader(body, strlen(body), hint, sizeof hint));
	cr_assert_not(failover_not_leader("<html>503</html>", 16, hint, sizeof hint));
	cr_assert_not(failover_not_leader(NULL, 0, hint, sizeof hint));
	body = "{\"error\":{\"code\":\"not_leader\",\"leader\":\"http://a-very-long-host-name:2\"}}";
	cr_assert(failover_not_leader(body, strlen(body), hint, 8));
	cr_assert_str_eq(hint, "", "a hint too long for the buffer is dropped, not cut");
}
