/* The SSL_CTX the server serves with (tls.h). */
#include "tls/tls.h"
#include "base/xalloc.h"
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* TLS 1.2: ECDHE key exchange and AEAD ciphers only (no RSA key exchange, no CBC, no
 * SHA-1 MACs); TLS 1.3's suites are all AEAD and stay OpenSSL's default. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL"

static char *ssl_error(const char *what)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return xasprintf("%s: %s", what, r ? r : "unknown error");
}

/* Can path be read? Else *err names the option. */
static int readable(const char *opt, const char *path, char **err)
{
	if (access(path, R_OK) == 0)
		return 0;
	*err = xasprintf("%s %s: cannot read it: %s", opt, path, strerror(errno));
	return -1;
}

SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file, const char *cert_opt,
			const char *key_opt, char fp[TLS_FP_LEN], char **err)
{
	if (readable(cert_opt, cert_file, err) || readable(key_opt, key_file, err))
		return NULL;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*err = ssl_error("cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS);
	char *what = NULL;
	FILE *kf = fopen(key_file, "r");
	EVP_PKEY *key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
	if (kf)
		fclose(kf);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1)
		what = xasprintf("%s %s: not a PEM certificate (chain)", cert_opt, cert_file);
	else if (key == NULL)
		what = xasprintf("%s %s: not a PEM private key (without a passphrase)", key_opt,
				 key_file);
	else if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1)
		what = xasprintf("%s %s: this key does not match the certificate of %s %s",
				 key_opt, key_file, cert_opt, cert_file);
	EVP_PKEY_free(key);
	if (what) {
		ERR_clear_error();	/* OpenSSL's reason says less than ours */
		*err = what;
		SSL_CTX_free(ctx);
		return NULL;
	}
	/* The top of the chain as served: the CA, or the certificate itself when the file
	 * holds no chain (a self-signed one). */
	STACK_OF(X509) *chain = NULL;
	SSL_CTX_get0_chain_certs(ctx, &chain);
	X509 *top = sk_X509_num(chain) > 0 ? sk_X509_value(chain, sk_X509_num(chain) - 1)
					    : SSL_CTX_get0_certificate(ctx);
	tls_fingerprint(top, fp);
	return ctx;
}

void tls_server_ctx_free(SSL_CTX *ctx)
{
	SSL_CTX_free(ctx);
}
