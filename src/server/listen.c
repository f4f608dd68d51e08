/* --listen: the address split, resolved, checked and bound (see listen.h). */
#include "server/listen.h"
#include "base/xalloc.h"
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HOST_MAX 256

bool listen_is_loopback(const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" into host and port (digits, 0..65535). NULL, or the rule
 * that spec breaks. */
static const char *split(const char *spec, char host[HOST_MAX], char port[6])
{
	const char *h = spec, *p;
	size_t hlen;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return "an IPv6 address goes in brackets followed by :PORT, as in [::1]:7370";
		h = spec + 1;
		hlen = (size_t)(close - h);
		p = close + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (colon == NULL)
			return "expected ADDR:PORT, as in 127.0.0.1:7370";
		hlen = (size_t)(colon - spec);
		if (memchr(spec, ':', hlen))
			return "an IPv6 address goes in brackets, as in [::1]:7370";
		p = colon + 1;
	}
	if (hlen == 0)
		return "ADDR is empty (that would mean every interface); give one, as in 127.0.0.1:7370";
	if (hlen >= HOST_MAX)
		return "ADDR is longer than 255 bytes";
	size_t plen = strlen(p);
	if (plen == 0 || plen > 5 || strspn(p, "0123456789") != plen || strtol(p, NULL, 10) > 65535)
		return "PORT must be a number 0..65535 (0 picks a free one)";
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, p, plen + 1);
	return NULL;
}

static socklen_t addr_len(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* The numeric text of sa's address, without the port. */
static void addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	if (getnameinfo(sa, addr_len(sa), buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, len, "?");
}

static bool is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	return sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/* What policy lacks for serving beyond loopback ("" when nothing): TLS and authentication,
 * or authentication alone under --insecure-no-tls. */
static const char *missing(const struct listen_policy *p)
{
	bool tls = p->tls || p->insecure_no_tls;
	if (tls && p->auth)
		return "";
	if (!tls && !p->auth)
		return "--tls (or --tls-cert and --tls-key) and --auth";
	return tls ? "--auth" : "--tls (or --tls-cert and --tls-key)";
}

/* Why the server may not listen on sa under policy, or NULL. */
static const char *exposure_refused(const struct sockaddr *sa, const struct listen_policy *p)
{
	if (listen_is_loopback(sa) || missing(p)[0] == '\0')
		return NULL;
	return is_wildcard(sa) ? "means every interface, not loopback only"
			       : "is not a loopback address";
}

static int check(const char *spec, const char *host, const struct addrinfo *res,
		 const struct listen_policy *p, char **err)
{
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		const char *why = exposure_refused(ai->ai_addr, p);
		if (why == NULL)
			continue;
		char addr[NI_MAXHOST], named[NI_MAXHOST + HOST_MAX + 32] = "";
		addr_text(ai->ai_addr, addr, sizeof addr);
		if (strcmp(addr, host) != 0)
			snprintf(named, sizeof named, " (%s resolves to it)", host);
		*err = xasprintf("--listen %s: %s%s %s. Beyond loopback the server needs TLS and"
				 " authentication (--insecure-no-tls waives TLS, never"
				 " authentication); missing: %s. Or keep it on loopback only"
				 " (127.0.0.1, ::1, localhost) and reach it through an SSH tunnel"
				 " (ssh -L 7370:127.0.0.1:7370 HOST)",
				 spec, addr, named, why, missing(p));
		return -1;
	}
	return 0;
}

int listen_resolve(const char *spec, bool numeric_only, const struct listen_policy *policy,
		   struct addrinfo **out, char **err)
{
	char host[HOST_MAX], port[6];
	const char *rule = split(spec, host, port);
	if (rule) {
		*err = xasprintf("--listen: %s, got '%s'", rule, spec);
		return -1;
	}
	/* No AI_ADDRCONFIG: it hides loopback addresses on a host that has only loopback. */
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | (numeric_only ? AI_NUMERICHOST : 0)};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		*err = xasprintf("cannot listen on %s: cannot resolve %s: %s", spec, host,
				 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	if (check(spec, host, res, policy, err)) {
		freeaddrinfo(res);
		return -1;
	}
	*out = res;
	return 0;
}

bool listen_exposed(const struct addrinfo *ai)
{
	for (; ai; ai = ai->ai_next)
		if (!listen_is_loopback(ai->ai_addr))
			return true;
	return false;
}

/* Bind and listen on one address: the socket, or -1 with errno. */
static int bind_one(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	/* SO_REUSEADDR: a restart binds while the old connections sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
		return fd;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int listen_bind(const char *spec, const struct addrinfo *ai, char **bound, char **err)
{
	int e = EADDRNOTAVAIL;
	/* IPv4 first: "localhost" then means 127.0.0.1, where clients look by default,
	 * whatever order the resolver gives. */
	for (int pass = 0; pass < 2; pass++) {
		for (const struct addrinfo *a = ai; a; a = a->ai_next) {
			if ((a->ai_family == AF_INET) != (pass == 0))
				continue;
			int fd = bind_one(a);
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			char addr[NI_MAXHOST], port[NI_MAXSERV];
			memset(&ss, 0, sizeof ss);
			if (fd >= 0 && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
			    getnameinfo((struct sockaddr *)&ss, sl, addr, sizeof addr, port,
					sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
				*bound = xasprintf(ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
						   addr, port);
				return fd;
			}
			e = errno;
			if (fd >= 0)
				close(fd);
		}
	}
	*err = xasprintf("cannot listen on %s: %s", spec, strerror(e));
	return -1;
}
