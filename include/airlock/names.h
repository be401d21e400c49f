/* airlock/names.h - the small textual forms both sides share: feed names,
 * receipts ("iocs@42:3f9a1c2e") and RFC 3339 UTC times. All parsers take
 * untrusted text and accept only the canonical form. */
#ifndef AIRLOCK_NAMES_H
#define AIRLOCK_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "airlock/error.h"
#include "airlock/hash.h"

#define AIRLOCK_FEED_NAME_MAX 63
#define AIRLOCK_RECEIPT_PREFIX_LEN 8     /* hex digits of the tree hash */
#define AIRLOCK_RECEIPT_MAX 96
#define AIRLOCK_TIME_LEN 20              /* "2026-11-23T19:00:00Z" */

/* Feed names: ^[a-z0-9][a-z0-9._-]{0,62}$. Returns 0 or -1. */
int airlock_feed_name_check(const char *name);
/* Names of sites and trusted signers follow the same rule. */
#define airlock_name_check airlock_feed_name_check

struct airlock_receipt {
	char feed[AIRLOCK_FEED_NAME_MAX + 1];
	uint64_t version;
	char prefix[AIRLOCK_RECEIPT_PREFIX_LEN + 1];   /* lowercase hex */
};

/* "FEED@VERSION:PREFIX" for a version and its tree hash. */
void airlock_receipt_format(char out[AIRLOCK_RECEIPT_MAX], const char *feed, uint64_t version,
    const uint8_t tree[AIRLOCK_HASH_BYTES]);
/* Parses a receipt (surrounding spaces and a trailing newline allowed;
 * hex in either case). AIRLOCK_E_USAGE with a message saying which part is
 * wrong. */
enum airlock_code airlock_receipt_parse(struct airlock_receipt *r, const char *s,
    struct airlock_err *err);
/* Whether the receipt's prefix matches a tree hash. */
int airlock_receipt_matches(const struct airlock_receipt *r, const uint8_t tree[AIRLOCK_HASH_BYTES]);

/* Unsigned decimal with no sign, no leading zeros (except "0"), no spaces,
 * at most max. Returns 0 or -1. */
int airlock_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* RFC 3339 UTC with seconds and 'Z' only. format needs 21 bytes. */
void airlock_time_format(char out[AIRLOCK_TIME_LEN + 1], int64_t t);
int airlock_time_parse(const char *s, int64_t *out);
/* Durations for --expires and similar: "90d", "12h", "30m", "3600s", or a
 * plain number of days. Returns 0 or -1. */
int airlock_duration_parse(const char *s, int64_t *seconds);

#endif
