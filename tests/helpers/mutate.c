/* mutate.c - text mutations for the parser tests (linked into each test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mutate.h"

char *test_mutate(const char *text, const char *from, const char *to, size_t *len)
{
	const char *at = strstr(text, from);
	if (at == NULL)
		fail_msg("mutation anchor not found: %s", from);
	size_t pre = (size_t)(at - text), n = strlen(text) - strlen(from) + strlen(to);
	char *out = malloc(n + 1);
	assert_non_null(out);
	memcpy(out, text, pre);
	memcpy(out + pre, to, strlen(to));
	strcpy(out + pre + strlen(to), at + strlen(from));
	*len = n;
	return out;
}
