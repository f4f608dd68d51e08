/* The server's own certificate authority and certificate in DATA/tls (tls.h), made with
 * OpenSSL's EVP and X509 APIs: P-256 keys, a CA valid for 10 years, a server certificate
 * for 2 years naming every address the server listens on. */
#include "tls/tls.h"
#include "base/xalloc.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CA_DAYS 3650
#define SERVER_DAYS 730

/* OpenSSL's last error in words, for messages. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return r ? r : "unknown error";
}

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

/* Add extension nid with value (OpenSSL's config syntax) to cert; 0 or -1. */
static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	int rc = X509_add_ext(cert, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return rc;
}

/* A certificate for key with common name cn, signed by issuer_key (issuer NULL: self-signed),
 * or NULL. */
static X509 *new_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		      int days)
{
	X509 *c = X509_new();
	unsigned char serial[16] = {0};
	BIGNUM *bn = NULL;
	bool ok = c != NULL && RAND_bytes(serial, sizeof serial) == 1;
	serial[0] &= 0x7f;	/* a positive serial */
	ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) != NULL &&
	     X509_set_version(c, X509_VERSION_3) == 1 &&
	     X509_gmtime_adj(X509_getm_notBefore(c), -3600) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(c), (long)days * 86400) != NULL &&
	     X509_set_pubkey(c, key) == 1;
	BN_free(bn);
	X509_NAME *name = ok ? X509_get_subject_name(c) : NULL;
	ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					      (const unsigned char *)"jobgrid", -1, -1, 0) == 1 &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					-1, -1, 0) == 1 &&
	     X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name) == 1;
	X509 *iss = issuer ? issuer : c;
	if (ok && issuer == NULL)
		ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") == 0 &&
		     add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign") == 0;
	else if (ok)
		ok = add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
		     add_ext(c, iss, NID_key_usage, "critical,digitalSignature") == 0 &&
		     add_ext(c, iss, NID_ext_key_usage, "serverAuth") == 0;
	ok = ok && add_ext(c, iss, NID_subject_key_identifier, "hash") == 0 &&
	     add_ext(c, iss, NID_authority_key_identifier, "keyid:always") == 0 &&
	     X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

/* Write a PEM file atomically (tmp + rename), mode 0600 for keys, 0644 else. write_fn
 * writes the PEM to f. 0, or -1 with *err. */
static int write_pem(const char *path, bool secret, int (*write_fn)(FILE *, void *), void *obj,
		     char **err)
{
	char *tmp = xasprintf("%s.tmp", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, secret ? 0600 : 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool ok = f != NULL && write_fn(f, obj) == 1 && fflush(f) == 0 && fsync(fd) == 0;
	int e = errno;
	if (f)
		ok = fclose(f) == 0 && ok;
	else if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, path) != 0) {
		e = errno;
		ok = false;
	}
	if (!ok) {
		*err = xasprintf("cannot write %s: %s", path, e ? strerror(e) : ssl_reason());
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

static int pem_key(FILE *f, void *k)
{
	return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}

static int pem_cert(FILE *f, void *c)
{
	return PEM_write_X509(f, c);
}

/* The server certificate, then the CA: the chain a client sees. */
static int pem_chain(FILE *f, void *pair)
{
	X509 **c = pair;
	return PEM_write_X509(f, c[0]) == 1 && PEM_write_X509(f, c[1]) == 1 ? 1 : 0;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *c = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return c;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return k;
}

/* Does cert name every entry of sans ("DNS:x", "IP:a") among its SANs? */
static bool names_all(X509 *cert, const char *const *sans, size_t nsans)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool all = true;
	for (size_t i = 0; all && i < nsans; i++) {
		bool found = false;
		bool ip = strncmp(sans[i], "IP:", 3) == 0;
		const char *v = sans[i] + (ip ? 3 : 4);
		unsigned char bin[16];
		int blen = !ip ? 0 : inet_pton(AF_INET, v, bin) == 1 ? 4
				     : inet_pton(AF_INET6, v, bin) == 1 ? 16 : 0;
		for (int k = 0; !found && k < sk_GENERAL_NAME_num(gens); k++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, k);
			if (ip && g->type == GEN_IPADD)
				found = g->d.iPAddress->length == blen &&
					memcmp(g->d.iPAddress->data, bin, (size_t)blen) == 0;
			else if (!ip && g->type == GEN_DNS)
				found = (size_t)g->d.dNSName->length == strlen(v) &&
					strncasecmp((const char *)g->d.dNSName->data, v,
						    strlen(v)) == 0;
		}
		all = found;
	}
	GENERAL_NAMES_free(gens);
	return all;
}

/* Issue server.pem and server.key for sans, signed by the CA. */
static int issue_server(const char *dir, X509 *ca, EVP_PKEY *ca_key, const char *const *sans,
			size_t nsans, char **err)
{
	size_t len = 1;
	for (size_t i = 0; i < nsans; i++)
		len += strlen(sans[i]) + 1;
	char *list = xmalloc(len), *p = list;
	*p = '\0';
	for (size_t i = 0; i < nsans; i++)
		p += sprintf(p, "%s%s", i ? "," : "", sans[i]);
	EVP_PKEY *key = new_key();
	X509 *cert = key ? new_cert(key, "jobgrid server", ca, ca_key, SERVER_DAYS) : NULL;
	int rc = -1;
	if (cert == NULL || (nsans && add_ext(cert, ca, NID_subject_alt_name, list) != 0) ||
	    X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
		*err = xasprintf("cannot make the server certificate in %s: %s", dir, ssl_reason());
	} else {
		char *kp = xasprintf("%s/server.key", dir), *cp = xasprintf("%s/server.pem", dir);
		X509 *pair[2] = {cert, ca};
		/* The key first: a certificate never sits next to a key it does not match
		 * for long, and the server checks they match at start anyway. */
		rc = write_pem(kp, true, pem_key, key, err) || write_pem(cp, false, pem_chain, pair, err)
			     ? -1 : 0;
		free(kp);
		free(cp);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	free(list);
	return rc;
}

/* Make ca.pem and ca.key. */
static int make_ca(const char *dir, X509 **ca, EVP_PKEY **key, char **err)
{
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char *cn = xasprintf("jobgrid CA %s", host[0] ? host : "server");
	*key = new_key();
	*ca = *key ? new_cert(*key, cn, NULL, NULL, CA_DAYS) : NULL;
	free(cn);
	if (*ca == NULL) {
		*err = xasprintf("cannot make a CA in %s: %s", dir, ssl_reason());
		return -1;
	}
	char *kp = xasprintf("%s/ca.key", dir), *cp = xasprintf("%s/ca.pem", dir);
	int rc = write_pem(kp, true, pem_key, *key, err) || write_pem(cp, false, pem_cert, *ca, err)
			 ? -1 : 0;
	free(kp);
	free(cp);
	return rc;
}

int tls_ca_ensure(const char *dir, const char *const *sans, size_t nsans, char **err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*err = xasprintf("cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	char *cap = xasprintf("%s/ca.pem", dir), *cakp = xasprintf("%s/ca.key", dir);
	char *sp = xasprintf("%s/server.pem", dir), *skp = xasprintf("%s/server.key", dir);
	X509 *ca = read_cert(cap), *server = NULL;
	EVP_PKEY *ca_key = read_key(cakp), *skey = NULL;
	int rc = 0;
	bool have_ca = access(cap, F_OK) == 0 || access(cakp, F_OK) == 0;
	if (have_ca && (ca == NULL || ca_key == NULL || X509_check_private_key(ca, ca_key) != 1)) {
		*err = xasprintf("%s and %s are not a certificate and its key (remove %s to have"
				 " a new CA made; clients then have to trust it again)", cap, cakp,
				 dir);
		rc = -1;
	} else if (!have_ca) {
		X509_free(ca);
		EVP_PKEY_free(ca_key);
		rc = make_ca(dir, &ca, &ca_key, err);
	}
	if (rc == 0) {
		server = read_cert(sp);
		skey = read_key(skp);
		/* Issued again when missing, damaged, by another CA, or not naming every
		 * address: the CA, which clients trust, stays. */
		if (server == NULL || skey == NULL || X509_check_private_key(server, skey) != 1 ||
		    X509_check_issued(ca, server) != X509_V_OK || !names_all(server, sans, nsans))
			rc = issue_server(dir, ca, ca_key, sans, nsans, err);
	}
	X509_free(ca);
	X509_free(server);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(skey);
	free(cap);
	free(cakp);
	free(sp);
	free(skp);
	return rc;
}

/* ---- the names a certificate should carry --------------------------------------- */

static void add_san(char ***out, size_t *n, const char *kind, const char *v)
{
	char *s = xasprintf("%s:%s", kind, v);
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp((*out)[i], s) == 0) {
			free(s);
			return;
		}
	*out = xrealloc(*out, *n + 1, sizeof **out);
	(*out)[(*n)++] = s;
}

/* The host part of "ADDR:PORT" or "[ADDR]:PORT" into buf. */
static void host_of(const char *spec, char *buf, size_t len)
{
	const char *h = spec, *end = strrchr(spec, ':');
	if (spec[0] == '[') {
		h = spec + 1;
		end = strchr(h, ']');
	}
	size_t n = end ? (size_t)(end - h) : strlen(h);
	snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), h);
}

static void add_host(char ***out, size_t *n, const char *host)
{
	unsigned char bin[16];
	if (inet_pton(AF_INET, host, bin) == 1 || inet_pton(AF_INET6, host, bin) == 1)
		add_san(out, n, "IP", host);
	else if (host[0])
		add_san(out, n, "DNS", host);
}

size_t tls_sans_for(const char *spec, const char *bound, char ***out)
{
	size_t n = 0;
	char host[NI_MAXHOST];
	*out = NULL;
	add_san(out, &n, "DNS", "localhost");
	add_san(out, &n, "IP", "127.0.0.1");
	add_san(out, &n, "IP", "::1");
	if (gethostname(host, sizeof host) == 0 && host[0])
		add_host(out, &n, host);
	host_of(spec, host, sizeof host);
	if (strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0)
		add_host(out, &n, host);
	host_of(bound, host, sizeof host);
	if (strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0) {
		add_host(out, &n, host);
		return n;
	}
	/* A wildcard: every address of every interface this machine has now. */
	struct ifaddrs *ifs = NULL, *i;
	if (getifaddrs(&ifs) != 0)
		return n;
	for (i = ifs; i; i = i->ifa_next) {
		if (i->ifa_addr == NULL ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		socklen_t sl = i->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
								  : sizeof(struct sockaddr_in6);
		if (getnameinfo(i->ifa_addr, sl, host, sizeof host, NULL, 0, NI_NUMERICHOST) == 0 &&
		    strchr(host, '%') == NULL)	/* link-local with a scope: not for URLs */
			add_host(out, &n, host);
	}
	freeifaddrs(ifs);
	return n;
}

void tls_sans_free(char **sans, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(sans[i]);
	free(sans);
}
