/* TLS for the server: its own certificate authority and certificate in DATA/tls/
 * (tls-ca.c), the SSL_CTX it serves with (tls-server.c) and the fingerprint that clients
 * pin (tls-fp.c, shared with the clients' trust.c).
 *
 * The fingerprint of a certificate is "sha256:" and the SHA-256 of its DER encoding in
 * 64 lowercase hex digits: the text the server prints at start and the pins file keeps. */
#ifndef JG_TLS_H
#define JG_TLS_H
#include <stdbool.h>
#include <stddef.h>

typedef struct x509_st X509;
typedef struct ssl_ctx_st SSL_CTX;

#define TLS_FP_LEN (7 + 64 + 1)	/* "sha256:" + hex + NUL */

/* The fingerprint of cert into out. */
void tls_fingerprint(X509 *cert, char out[TLS_FP_LEN]);
/* Is s a fingerprint in that text form (lowercase hex)? */
bool tls_fingerprint_valid(const char *s);

/* The server's own CA and certificate under dir (DATA/tls, made 0700): ca.pem, ca.key,
 * server.pem (the certificate then the CA: the chain it serves), server.key; keys 0600.
 * Made on first use; reused later, with server.pem issued again when a name or address
 * of sans is not among its subject alternative names. sans: "DNS:name" or "IP:addr".
 * 0, or -1 with *err (malloc'd) naming the file and what failed. */
int tls_ca_ensure(const char *dir, const char *const *sans, size_t nsans, char **err);

/* The SANs a server listening on bound ("127.0.0.1:7370", "[::1]:0", "0.0.0.0:7370") as
 * spec ("localhost:7370") should carry: the host of spec, every address of bound (every
 * interface's for a wildcard), the loopback names and addresses, the host name. *out
 * gets a malloc'd array of malloc'd strings (tls_sans_free). */
size_t tls_sans_for(const char *spec, const char *bound, char ***out);
void tls_sans_free(char **sans, size_t n);

/* An SSL_CTX serving cert_file (PEM: the certificate, then its chain) with key_file:
 * TLS 1.2 and 1.3 only, forward-secret AEAD suites only. The files are named in errors by
 * the options that gave them (cert_opt, key_opt, e.g. "--tls-cert"). *fp gets the
 * fingerprint of the certificate at the top of the chain (the CA clients pin). NULL with
 * *err (malloc'd). */
SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file, const char *cert_opt,
			const char *key_opt, char fp[TLS_FP_LEN], char **err);
void tls_server_ctx_free(SSL_CTX *ctx);
#endif
