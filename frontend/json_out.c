/* json_out.c - --json output shared by the two command-line programs. */
#include "json_out.h"

#include <errno.h>
#include <stdio.h>

#include "airlock/names.h"

int cli_json_print(json_t *obj)
{
	if (obj == NULL) {
		fprintf(stderr, "%s: error: out of memory\n", program_invocation_short_name);
		return 1;
	}
	json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(obj);
	return 0;
}

json_t *cli_json_hash(const uint8_t h[AIRLOCK_HASH_BYTES])
{
	char hex[AIRLOCK_HASH_HEX_LEN + 1];
	airlock_hash_to_hex(hex, h);
	return json_string(hex);
}

json_t *cli_json_time(int64_t t)
{
	char s[AIRLOCK_TIME_LEN + 1];
	airlock_time_format(s, t);
	return json_string(s);
}

json_t *cli_json_u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}
