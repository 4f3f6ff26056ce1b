/*
 * Base64 (RFC 4648, with padding) on OpenSSL's encoder, for the photos
 * the protocol carries.
 */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/* LEN bytes of BUF as base64 (malloc'd, NUL-terminated). */
char	*base64_encode(const uint8_t *buf, size_t len);
/*
 * Decodes base64 S of at most MAX decoded bytes into a malloc'd buffer of
 * *LEN bytes. NULL if S is empty, not base64, or too long.
 */
uint8_t	*base64_decode(const char *s, size_t max, size_t *len);

#endif
