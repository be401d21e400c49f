/* json.c - strict key checks for the untrusted JSON documents of a bundle. */
#include "airlock/json.h"

#include <string.h>

enum airlock_code airlock_json_want_keys(json_t *obj, const char *what, const char *where,
    const char *const *keys, size_t nreq, size_t n, struct airlock_err *err)
{
	const char *k;
	json_t *v;
	char q[80];
	if (!json_is_object(obj))
		return airlock_fail(err, AIRLOCK_E_VERIFY, "%s: %s is not an object", what, where);
	json_object_foreach(obj, k, v) {
		size_t i = 0;
		while (i < n && strcmp(keys[i], k) != 0)
			i++;
		if (i == n) {
			airlock_escape(q, sizeof(q), k, strlen(k));
			return airlock_fail(err, AIRLOCK_E_VERIFY, "%s: unknown key '%s' in %s", what,
			    q, where);
		}
	}
	for (size_t i = 0; i < nreq; i++)
		if (json_object_get(obj, keys[i]) == NULL)
			return airlock_fail(err, AIRLOCK_E_VERIFY, "%s: missing key '%s' in %s", what,
			    keys[i], where);
	return AIRLOCK_OK;
}
