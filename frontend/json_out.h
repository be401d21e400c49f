/* frontend/json_out.h - --json output shared by airlock-signer and
 * airlock-importer (front-end code: it prints; the core never does). */
#ifndef AIRLOCK_FRONTEND_JSON_OUT_H
#define AIRLOCK_FRONTEND_JSON_OUT_H

#include <jansson.h>
#include <stdint.h>

#include "airlock/hash.h"

/* Prints obj (2-space indent, key order kept) and a newline to stdout and
 * releases it; returns 0, or 1 after a message when obj is NULL (a failed
 * json_pack: out of memory). */
int cli_json_print(json_t *obj);
json_t *cli_json_hash(const uint8_t h[AIRLOCK_HASH_BYTES]);   /* lowercase hex */
json_t *cli_json_time(int64_t t);                              /* RFC 3339 UTC */
json_t *cli_json_u64(uint64_t v);

#endif
