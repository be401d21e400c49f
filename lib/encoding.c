/* encoding.c - hex, base64 and Bech32. The decoders read untrusted text:
 * they accept exactly one spelling of each value (canonical base64, no
 * whitespace, no mixed-case Bech32) so that re-encoding gives back the input. */
#include "airlock/encoding.h"

#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void airlock_hex_encode(char *out, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int airlock_hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen)
{
	if (outlen > inlen / 2 || inlen != 2 * outlen)
		return -1;
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hex_value(in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t airlock_b64_encoded_len(size_t len, enum airlock_b64_variant v)
{
	if (v == AIRLOCK_B64_PAD)
		return (len + 2) / 3 * 4;
	return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

void airlock_b64_encode(char *out, const uint8_t *in, size_t len, enum airlock_b64_variant v)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_chars[w >> 18];
		out[o++] = b64_chars[(w >> 12) & 63];
		out[o++] = b64_chars[(w >> 6) & 63];
		out[o++] = b64_chars[w & 63];
	}
	size_t rest = len - i;
	if (rest > 0) {
		uint32_t w = (uint32_t)in[i] << 16 | (rest == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = b64_chars[w >> 18];
		out[o++] = b64_chars[(w >> 12) & 63];
		if (rest == 2)
			out[o++] = b64_chars[(w >> 6) & 63];
		if (v == AIRLOCK_B64_PAD) {
			out[o++] = '=';
			if (rest == 1)
				out[o++] = '=';
		}
	}
	out[o] = '\0';
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strips the padding of the PAD form after checking its shape; the rest is
 * then decoded exactly like the NOPAD form. */
static int b64_unpad(size_t *inlen, const char *in, enum airlock_b64_variant v)
{
	size_t n = *inlen;
	if (v == AIRLOCK_B64_NOPAD)
		return 0;
	if (n % 4 != 0)
		return -1;
	if (n > 0 && in[n - 1] == '=')
		n--;
	if (n > 0 && in[n - 1] == '=')
		n--;
	/* "xx=" would leave a length of 1 mod 4 only with three '='. */
	if ((*inlen - n) != 0 && n % 4 == 0)
		return -1;
	*inlen = n;
	return 0;
}

int airlock_b64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
    size_t inlen, enum airlock_b64_variant v)
{
	if (b64_unpad(&inlen, in, v) != 0 || inlen % 4 == 1)
		return -1;
	size_t need = inlen / 4 * 3 + (inlen % 4 == 0 ? 0 : inlen % 4 - 1);
	if (need > outcap)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < inlen; i++) {
		int val = b64_value(in[i]);
		if (val < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)val) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Canonical form: the unused low bits of the last character are zero. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*outlen = o;
	return 0;
}

static const char bech32_chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t bech32_polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
		0x2a1462b3 };
	uint32_t top = chk >> 25;
	chk = (chk & 0x1ffffff) << 5 ^ v;
	for (int i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char upper_of(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/* The checksum always covers the lowercase hrp. */
static uint32_t bech32_hrp_polymod(const char *hrp, size_t hlen)
{
	uint32_t chk = 1;
	for (size_t i = 0; i < hlen; i++)
		chk = bech32_polymod_step(chk, (uint8_t)((unsigned char)lower(hrp[i]) >> 5));
	chk = bech32_polymod_step(chk, 0);
	for (size_t i = 0; i < hlen; i++)
		chk = bech32_polymod_step(chk, (uint8_t)((unsigned char)lower(hrp[i]) & 31));
	return chk;
}

int airlock_bech32_encode(char *out, size_t outcap, const char *hrp, const uint8_t *data,
    size_t len, int upper)
{
	size_t hlen = strlen(hrp);
	size_t n5 = (len * 8 + 4) / 5;
	if (hlen == 0 || outcap < hlen + 1 + n5 + 6 + 1 || n5 + 6 < n5)
		return -1;
	uint32_t chk = bech32_hrp_polymod(hrp, hlen);
	size_t o = 0;
	for (size_t i = 0; i < hlen; i++)
		out[o++] = upper ? upper_of(hrp[i]) : lower(hrp[i]);
	out[o++] = '1';
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < len || bits > 0;) {
		if (bits < 5 && i < len) {
			acc = (acc << 8 | data[i++]) & 0xfff;
			bits += 8;
		}
		uint8_t v;
		if (bits >= 5) {
			bits -= 5;
			v = (uint8_t)((acc >> bits) & 31);
		} else {
			v = (uint8_t)((acc << (5 - bits)) & 31);
			bits = 0;
		}
		chk = bech32_polymod_step(chk, v);
		out[o++] = bech32_chars[v];
	}
	for (int i = 0; i < 6; i++)
		chk = bech32_polymod_step(chk, 0);
	chk ^= 1;
	for (int i = 0; i < 6; i++)
		out[o++] = bech32_chars[(chk >> (5 * (5 - i))) & 31];
	if (upper)
		for (size_t i = hlen + 1; i < o; i++)
			out[i] = upper_of(out[i]);
	out[o] = '\0';
	return 0;
}

/* All lowercase or all uppercase, printable ASCII only. */
static int bech32_check_case(const char *s, size_t len)
{
	int has_lower = 0, has_upper = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 33 || c > 126)
			return -1;
		has_lower |= (c >= 'a' && c <= 'z');
		has_upper |= (c >= 'A' && c <= 'Z');
	}
	return (has_lower && has_upper) ? -1 : 0;
}

static int bech32_char_value(char c)
{
	const char *p = c != '\0' ? strchr(bech32_chars, lower(c)) : NULL;
	return p == NULL ? -1 : (int)(p - bech32_chars);
}

/* Regroups the 5-bit data (without checksum) into bytes; the leftover bits
 * must be fewer than 5 and all zero. */
static int bech32_to_bytes(uint8_t *data, size_t datacap, size_t *datalen, const char *s,
    size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 5 | (uint32_t)bech32_char_value(s[i])) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == datacap)
				return -1;
			data[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	*datalen = o;
	return 0;
}

int airlock_bech32_decode(char *hrp_out, size_t hrpcap, uint8_t *data, size_t datacap,
    size_t *datalen, const char *s)
{
	size_t len = strlen(s);
	const char *sep = strrchr(s, '1');
	if (bech32_check_case(s, len) != 0 || sep == NULL)
		return -1;
	size_t hlen = (size_t)(sep - s);
	size_t dlen = len - hlen - 1;
	if (hlen == 0 || dlen < 6 || hlen + 1 > hrpcap)
		return -1;
	uint32_t chk = bech32_hrp_polymod(s, hlen);
	for (size_t i = 0; i < dlen; i++) {
		int v = bech32_char_value(sep[1 + i]);
		if (v < 0)
			return -1;
		chk = bech32_polymod_step(chk, (uint8_t)v);
	}
	if (chk != 1)
		return -1;
	if (bech32_to_bytes(data, datacap, datalen, sep + 1, dlen - 6) != 0)
		return -1;
	for (size_t i = 0; i < hlen; i++)
		hrp_out[i] = lower(s[i]);
	hrp_out[hlen] = '\0';
	return 0;
}
