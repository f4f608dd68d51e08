/* How a client (the CLI, the worker) trusts a server over https:// (trust.c):
 *
 *   a CA file (--ca FILE or $JOBGRID_CA)  the server's chain must end at one of its
 *                                        certificates; the host name is checked
 *   else a pin in known_servers          the certificate at the top of the chain the
 *                                        server sends must have the pinned fingerprint,
 *                                        and the chain must verify up to it; host checked
 *   else                                 the system's CAs (a server with a public
 *                                        certificate); failing that, the refusal says to
 *                                        run `jobgrid login` or give --ca
 *
 * Checks run in OpenSSL's verification through libcurl's CURLOPT_SSL_CTX_FUNCTION; none
 * is turned off. A login first "probes": the handshake records what the server offers and
 * stops, so the fingerprint can be shown and pinned. */
#ifndef JG_TRUST_H
#define JG_TRUST_H
#include "tls/tls.h"
#include <curl/curl.h>
#include <stdbool.h>

enum trust_mode { TRUST_NONE, TRUST_CA, TRUST_PIN, TRUST_SYSTEM, TRUST_PROBE };

struct trust {
	enum trust_mode mode;
	char *url;			/* owned: the server's base URL */
	char *ca_file;			/* owned (TRUST_CA) */
	const char *ca_from;		/* "--ca" or "JOBGRID_CA" */
	void *cas;			/* owned STACK_OF(X509) (TRUST_CA) */
	char pin[TLS_FP_LEN];		/* TRUST_PIN */
	char *pins_file;		/* owned: known_servers' path, or NULL */
	int pin_line;
	/* Set by a handshake: */
	char offered[TLS_FP_LEN];	/* the top of the server's chain, or "" */
	bool refused;			/* the check said no (the reason is in the fields) */
};

/* Trust for url: by ca_file when given (from names where it came from), else by the pin
 * in known_servers, else the system's CAs; plain http:// and unix: need none. 0, or -1
 * with *err (malloc'd): an unreadable CA file, a damaged known_servers. */
int trust_init(struct trust *t, const char *url, const char *ca_file, const char *ca_from,
	       char **err);
/* Probe mode, for login: record the server's fingerprint, then stop the handshake. */
void trust_probe(struct trust *t);
/* Set h's TLS options for t (t must outlive the transfers on h). */
void trust_apply(struct trust *t, CURL *h);
/* Why a transfer that failed with rc failed the trust check, in words for the user
 * (malloc'd), or NULL when trust was not the reason. */
char *trust_failure(const struct trust *t, CURLcode rc);
void trust_free(struct trust *t);
/* Connect to url (https://) and read the fingerprint of the top of the certificate chain
 * it offers, trusting nothing. 0, or -1 with *err (malloc'd): it could not be reached. */
int trust_offered(const char *url, char fp[TLS_FP_LEN], char **err);
#endif
