/* airlock/json.h - strict checks shared by the parsers of bundle.json and
 * MANIFEST.json (both untrusted JSON read through jansson). */
#ifndef AIRLOCK_JSON_H
#define AIRLOCK_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "airlock/error.h"

/* obj must be an object whose keys are among keys[0..n), with every one
 * of keys[0..nreq) present. Failures are AIRLOCK_E_VERIFY with a message
 * "<what>: unknown key 'k' in <where>" (the key escaped) or "missing key". */
enum airlock_code airlock_json_want_keys(json_t *obj, const char *what, const char *where,
    const char *const *keys, size_t nreq, size_t n, struct airlock_err *err);

#endif
