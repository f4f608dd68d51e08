/* Client trust in a server's certificate (trust.h). */
#include "tls/trust.h"
#include "base/xalloc.h"
#include "tls/pins.h"
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* The certificates of a PEM file, or NULL with *err. */
static STACK_OF(X509) *read_cas(const char *path, const char *from, char **err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*err = xasprintf("%s %s: cannot read it: %s", from, path, strerror(errno));
		return NULL;
	}
	STACK_OF(X509) *cas = sk_X509_new_null();
	X509 *c;
	while ((c = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		sk_X509_push(cas, c);
	ERR_clear_error();	/* the end of the file reads as an error */
	fclose(f);
	if (sk_X509_num(cas) == 0) {
		sk_X509_free(cas);
		*err = xasprintf("%s %s: no PEM certificate in it", from, path);
		return NULL;
	}
	return cas;
}

int trust_init(struct trust *t, const char *url, const char *ca_file, const char *ca_from,
	       char **err)
{
	*t = (struct trust){.mode = TRUST_NONE, .url = pins_url(url)};
	if (strncmp(url, "https://", 8) != 0)
		return 0;
	if (ca_file && *ca_file) {
		t->cas = read_cas(ca_file, ca_from, err);
		if (t->cas == NULL)
			return -1;
		t->mode = TRUST_CA;
		t->ca_file = xstrdup(ca_file);
		t->ca_from = ca_from;
		return 0;
	}
	t->mode = TRUST_SYSTEM;
	t->pins_file = pins_path("known_servers");
	if (t->pins_file == NULL)
		return 0;
	struct pins p;
	int rc = pins_load(&p, t->pins_file, PINS_FINGERPRINT, err);
	const char *pin = rc == 0 ? pins_find(&p, url, &t->pin_line) : NULL;
	if (pin) {
		t->mode = TRUST_PIN;
		snprintf(t->pin, sizeof t->pin, "%s", pin);
	}
	pins_free(&p);
	return rc;
}

void trust_probe(struct trust *t)
{
	t->mode = TRUST_PROBE;
}

/* OpenSSL's verification of the server's chain, in t's way. */
static int verify(X509_STORE_CTX *xctx, void *arg)
{
	struct trust *t = arg;
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_untrusted(xctx);
	X509 *top = sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1)
					    : X509_STORE_CTX_get0_cert(xctx);
	tls_fingerprint(top, t->offered);
	STACK_OF(X509) *anchors = NULL;
	switch (t->mode) {
	case TRUST_PROBE:
		X509_STORE_CTX_set_error(xctx, X509_V_ERR_APPLICATION_VERIFICATION);
		t->refused = true;
		return 0;
	case TRUST_PIN:
		if (strcmp(t->offered, t->pin) != 0) {
			X509_STORE_CTX_set_error(xctx, X509_V_ERR_APPLICATION_VERIFICATION);
			t->refused = true;
			return 0;
		}
		anchors = sk_X509_new_null();
		sk_X509_push(anchors, top);
		break;
	case TRUST_CA:
		anchors = t->cas;
		break;
	default:
		break;	/* the system's store, as libcurl set it up */
	}
	if (anchors)
		X509_STORE_CTX_set0_trusted_stack(xctx, anchors);
	int ok = X509_verify_cert(xctx);
	if (t->mode == TRUST_PIN)
		sk_X509_free(anchors);	/* the stack only: top belongs to the chain */
	if (ok != 1)
		t->refused = true;
	return ok == 1 ? 1 : 0;
}

static CURLcode on_ssl_ctx(CURL *h, void *ssl_ctx, void *arg)
{
	SSL_CTX_set_cert_verify_callback(ssl_ctx, verify, arg);
	SSL_CTX_set_min_proto_version(ssl_ctx, TLS1_2_VERSION);
	return CURLE_OK;
}

void trust_apply(struct trust *t, CURL *h)
{
	if (t->mode == TRUST_NONE)
		return;
	/* The connect timeout covers the handshake too: on a loaded machine 3 s is short. */
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->mode != TRUST_SYSTEM) {
		/* The check uses t's own anchors: libcurl need not load the system's bundle
		 * (hundreds of certificates) into every new connection. */
		curl_easy_setopt(h, CURLOPT_CAINFO, t->mode == TRUST_CA ? t->ca_file : NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
	curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, t);
	/* A session resumed from libcurl's cache would skip the check above. */
	curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
}

char *trust_failure(const struct trust *t, CURLcode rc)
{
	if (t->mode == TRUST_NONE ||
	    (rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CONNECT_ERROR &&
	     rc != CURLE_SSL_CERTPROBLEM && rc != CURLE_SSL_CACERT_BADFILE))
		return NULL;
	if (t->mode == TRUST_PROBE)
		return NULL;	/* the caller reads t->offered */
	if (!t->refused && t->offered[0] == '\0')
		return NULL;	/* not the certificate: a handshake that failed otherwise */
	if (!t->refused)	/* the chain verified: libcurl's host name check said no */
		return xasprintf("the certificate of %s (CA %s) does not name that host: use the"
				 " name or address the server listens on (its certificate names"
				 " them), or give the server a certificate for this name",
				 t->url, t->offered);
	switch (t->mode) {
	case TRUST_PIN:
		if (strcmp(t->offered, t->pin) != 0)
			return xasprintf(
				"THE SERVER'S CERTIFICATE AUTHORITY HAS CHANGED: refusing to talk"
				" to %s.\n"
				"  pinned:  %s (%s line %d)\n"
				"  offered: %s\n"
				"Someone may be intercepting the connection, or the server made a"
				" new CA (its DATA/tls was removed). Compare the offered fingerprint"
				" with the one the server printed at start (its log says \"the CA's"
				" fingerprint is …\"); if they match, remove line %d of %s and run"
				" `jobgrid login` again.",
				t->url, t->pin, t->pins_file, t->pin_line, t->offered, t->pin_line,
				t->pins_file);
		return xasprintf("the certificate of %s does not verify up to its pinned CA %s"
				 " (%s line %d): it is not signed by that CA, or has expired",
				 t->url, t->pin, t->pins_file, t->pin_line);
	case TRUST_CA:
		return xasprintf("the certificate of %s is not signed by a CA in %s %s (the"
				 " server offers a chain ending at %s): give the CA file the"
				 " server uses (DATA/tls/ca.pem), or"
				 " run `jobgrid login` without --ca to pin the server's CA",
				 t->url, t->ca_from, t->ca_file, t->offered[0] ? t->offered : "?");
	default:
		return xasprintf("the server at %s is not trusted: its certificate (CA %s) is"
				 " not signed by a CA this machine trusts, and no fingerprint is"
				 " pinned for it. Run `jobgrid login` to see and pin its CA, or"
				 " give --ca FILE (or JOBGRID_CA) with the server's DATA/tls/ca.pem",
				 t->url, t->offered[0] ? t->offered : "?");
	}
}

void trust_free(struct trust *t)
{
	if (t->cas)
		sk_X509_pop_free(t->cas, X509_free);
	free(t->ca_file);
	free(t->pins_file);
	free(t->url);
	*t = (struct trust){.mode = TRUST_NONE};
}

int trust_offered(const char *url, char fp[TLS_FP_LEN], char **err)
{
	struct trust t = {.mode = TRUST_PROBE};
	char full[4096], detail[CURL_ERROR_SIZE] = "";
	snprintf(full, sizeof full, "%s/healthz", url);
	CURL *h = curl_easy_init();
	if (h == NULL) {
		*err = xasprintf("out of memory");
		return -1;
	}
	curl_easy_setopt(h, CURLOPT_URL, full);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	trust_apply(&t, h);
	CURLcode rc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	if (t.offered[0] == '\0') {
		*err = xasprintf("cannot reach the server at %s over TLS: %s", url,
				 detail[0] ? detail : curl_easy_strerror(rc));
		return -1;
	}
	memcpy(fp, t.offered, TLS_FP_LEN);
	return 0;
}
