/* Certificate fingerprints (tls.h): what the server prints and clients pin. */
#include "tls/tls.h"
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

void tls_fingerprint(X509 *cert, char out[TLS_FP_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	memcpy(out, "sha256:", 8);
	if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32)
		return;	/* "sha256:" alone matches no pin */
	for (unsigned int i = 0; i < n; i++)
		snprintf(out + 7 + (size_t)2 * i, 3, "%02x", md[i]);
}

bool tls_fingerprint_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != TLS_FP_LEN - 1)
		return false;
	return strspn(s + 7, "0123456789abcdef") == 64;
}
