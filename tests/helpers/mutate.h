/* tests/helpers/mutate.h - text mutations for the parser tests. */
#ifndef AIRLOCK_TEST_MUTATE_H
#define AIRLOCK_TEST_MUTATE_H

#include <stddef.h>

/* A malloc'd copy of text with the first occurrence of from replaced by
 * to; *len gets its length. Fails the running cmocka test when from does
 * not occur (a stale anchor must not pass as a refused input). */
char *test_mutate(const char *text, const char *from, const char *to, size_t *len);

#endif
