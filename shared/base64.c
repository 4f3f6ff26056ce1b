/*
 * Base64 on OpenSSL's EVP_EncodeBlock and EVP_DecodeBlock (base64.h).
 */
#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "xmalloc.h"

char *
base64_encode(const uint8_t *buf, size_t len)
{
	char	*out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

uint8_t *
base64_decode(const char *s, size_t max, size_t *len)
{
	size_t	 n = strlen(s), pad = 0;
	uint8_t	*out;
	int	 r;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > max || n > INT32_MAX)
		return NULL;
	out = xmalloc(n / 4 * 3 + 1);
	/* EVP_DecodeBlock counts the padding as data: take it off. */
	if ((r = EVP_DecodeBlock(out, (const unsigned char *)s,
	    (int)n)) < 0) {
		free(out);
		return NULL;
	}
	if (s[n - 1] == '=')
		pad++;
	if (s[n - 2] == '=')
		pad++;
	*len = (size_t)r - pad;
	return out;
}
