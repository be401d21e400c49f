/* signer_sites.c - receiving sites and what each is believed to hold. */
#include "signer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum airlock_code check_site_name(const char *name, struct airlock_err *err)
{
	char shown[AIRLOCK_FEED_NAME_MAX * 4 + 1];
	if (airlock_name_check(name) == 0)
		return AIRLOCK_OK;
	airlock_escape(shown, sizeof shown, name, strlen(name));
	airlock_fail(err, AIRLOCK_E_USAGE, "invalid site name '%s'", shown);
	airlock_hint(err, "site names are 1 to 63 characters: lowercase letters, digits, '.', "
	    "'_' and '-', starting with a letter or digit");
	return err->code;
}

/* Looks a site up; an unknown site is AIRLOCK_E_FAILED with a hint. The
 * recipient goes to recipient (may be NULL). */
static enum airlock_code site_require(struct airlock_signer *s, const char *name,
    char recipient[AIRLOCK_AGE_RECIPIENT_LEN + 1], struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (check_site_name(name, err) != AIRLOCK_OK ||
	    signer_prepare(s, "SELECT recipient FROM sites WHERE name = ?", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && recipient != NULL)
		snprintf(recipient, AIRLOCK_AGE_RECIPIENT_LEN + 1, "%s", sqlite3_column_text(st, 0));
	if (rc == SQLITE_DONE) {
		airlock_fail(err, AIRLOCK_E_FAILED, "unknown site '%s'", name);
		airlock_hint(err, "see 'airlock-signer site list', or add it with "
		    "'airlock-signer site add %s age1...'", name);
	} else if (rc != SQLITE_ROW) {
		signer_db_fail(s, "read the catalog", err);
	}
	sqlite3_finalize(st);
	return err->code;
}

enum airlock_code signer_site_recipient(struct airlock_signer *s, const char *name,
    uint8_t pk[32], struct airlock_err *err)
{
	char r[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	if (site_require(s, name, r, err) != AIRLOCK_OK)
		return err->code;
	return airlock_age_recipient_parse(pk, r, err);
}

enum airlock_code airlock_signer_site_add(struct airlock_signer *s, const char *name,
    const char *recipient, struct airlock_err *err)
{
	uint8_t pk[32];
	char canon[AIRLOCK_AGE_RECIPIENT_LEN + 1];
	sqlite3_stmt *st;
	if (check_site_name(name, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_age_recipient_parse(pk, recipient, err) != AIRLOCK_OK) {
		airlock_hint(err, "a recipient is the public key of the site's age identity, "
		    "\"age1\" and 58 characters (age-keygen -y site.key prints it)");
		return err->code;
	}
	airlock_age_recipient_format(canon, pk);
	if (signer_prepare(s, "INSERT INTO sites(name, recipient, added) VALUES(?, ?, ?)",
	    &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, canon, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	int rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		airlock_fail(err, AIRLOCK_E_FAILED, "site '%s' exists already", name);
		airlock_hint(err, "choose another name, or remove it first with "
		    "'airlock-signer site remove %s'", name);
	} else if (rc != SQLITE_DONE) {
		signer_db_fail(s, "add the site", err);
	}
	sqlite3_finalize(st);
	return err->code;
}

enum airlock_code airlock_signer_site_remove(struct airlock_signer *s, const char *name,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (site_require(s, name, NULL, err) != AIRLOCK_OK ||
	    signer_prepare(s, "DELETE FROM sites WHERE name = ?", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		signer_db_fail(s, "remove the site", err);
	sqlite3_finalize(st);
	return err->code;
}

/* Checks a parsed receipt against the catalog: known feed and version,
 * matching tree-hash prefix. */
static enum airlock_code receipt_check(struct airlock_signer *s, const struct airlock_receipt *r,
    int64_t *feed_id, struct airlock_signer_version *v, struct airlock_err *err)
{
	char want[AIRLOCK_HASH_HEX_LEN + 1];
	int found;
	if (signer_feed_require(s, r->feed, feed_id, err) != AIRLOCK_OK ||
	    signer_version_get(s, *feed_id, r->version, v, &found, err) != AIRLOCK_OK)
		return err->code;
	if (!found) {
		airlock_fail(err, AIRLOCK_E_FAILED, "feed '%s' has no version %llu", r->feed,
		    (unsigned long long)r->version);
		airlock_hint(err, "check the receipt; 'airlock-signer status' shows the latest version");
		return err->code;
	}
	if (airlock_receipt_matches(r, v->tree))
		return AIRLOCK_OK;
	airlock_hash_to_hex(want, v->tree);
	airlock_fail(err, AIRLOCK_E_USAGE, "receipt %s@%llu:%s does not match this signer's "
	    "version %llu of '%s' (tree %.8s...)", r->feed, (unsigned long long)r->version, r->prefix,
	    (unsigned long long)r->version, r->feed, want);
	airlock_hint(err, "check for a typo; if the receipt is right, the site holds a tree this "
	    "signer did not make: send it a full bundle (--full)");
	return err->code;
}

enum airlock_code airlock_signer_site_set(struct airlock_signer *s, const char *name,
    const char *receipt, struct airlock_signer_holding *held, struct airlock_err *err)
{
	struct airlock_receipt r;
	struct airlock_signer_version v;
	int64_t feed_id;
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *st;
	if (site_require(s, name, NULL, err) != AIRLOCK_OK)
		return err->code;
	if (airlock_receipt_parse(&r, receipt, err) != AIRLOCK_OK) {
		airlock_hint(err, "a receipt is FEED@VERSION:PREFIX as the importer prints it, "
		    "e.g. iocs@42:3f9a1c2e");
		return err->code;
	}
	if (receipt_check(s, &r, &feed_id, &v, err) != AIRLOCK_OK ||
	    signer_prepare(s, "INSERT OR REPLACE INTO holdings(site, feed_id, version, since)"
	    " VALUES(?, ?, ?, ?)", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, feed_id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r.version);
	sqlite3_bind_int64(st, 4, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		signer_db_fail(s, "record the receipt", err);
	sqlite3_finalize(st);
	if (err->code == AIRLOCK_OK && held != NULL) {
		snprintf(held->feed, sizeof held->feed, "%s", r.feed);
		held->version = r.version;
		memcpy(held->tree, v.tree, sizeof held->tree);
		held->since = now;
		held->retained = v.retained;
	}
	return err->code;
}

void airlock_signer_site_list_release(struct airlock_signer_site_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->sites[i].holdings);
	free(l->sites);
	l->sites = NULL;
	l->n = 0;
}

static enum airlock_code load_holdings(struct airlock_signer *s, struct airlock_signer_site *site,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	if (signer_prepare(s, "SELECT f.name, h.version, v.tree, h.since, v.retained FROM holdings h"
	    " JOIN feeds f ON f.id = h.feed_id JOIN versions v ON v.feed_id = h.feed_id"
	    " AND v.version = h.version WHERE h.site = ? ORDER BY f.name", &st, err) != AIRLOCK_OK)
		return err->code;
	sqlite3_bind_text(st, 1, site->name, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct airlock_signer_holding *grown =
		    realloc(site->holdings, (site->nholdings + 1) * sizeof *grown);
		if (grown == NULL) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			break;
		}
		site->holdings = grown;
		struct airlock_signer_holding *h = &grown[site->nholdings++];
		memset(h, 0, sizeof *h);
		snprintf(h->feed, sizeof h->feed, "%s", sqlite3_column_text(st, 0));
		h->version = (uint64_t)sqlite3_column_int64(st, 1);
		if (sqlite3_column_bytes(st, 2) == AIRLOCK_HASH_BYTES)
			memcpy(h->tree, sqlite3_column_blob(st, 2), AIRLOCK_HASH_BYTES);
		h->since = sqlite3_column_int64(st, 3);
		h->retained = sqlite3_column_int(st, 4);
	}
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE)
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

static enum airlock_code load_sites(struct airlock_signer *s, struct airlock_signer_site_list *out,
    struct airlock_err *err)
{
	sqlite3_stmt *st;
	int rc;
	if (signer_prepare(s, "SELECT name, recipient, added FROM sites ORDER BY name", &st, err)
	    != AIRLOCK_OK)
		return err->code;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct airlock_signer_site *grown = realloc(out->sites, (out->n + 1) * sizeof *grown);
		if (grown == NULL) {
			airlock_fail(err, AIRLOCK_E_NOMEM, "out of memory");
			break;
		}
		out->sites = grown;
		struct airlock_signer_site *site = &grown[out->n++];
		memset(site, 0, sizeof *site);
		snprintf(site->name, sizeof site->name, "%s", sqlite3_column_text(st, 0));
		snprintf(site->recipient, sizeof site->recipient, "%s", sqlite3_column_text(st, 1));
		site->added = sqlite3_column_int64(st, 2);
	}
	if (err->code == AIRLOCK_OK && rc != SQLITE_DONE)
		signer_db_fail(s, "read the catalog", err);
	sqlite3_finalize(st);
	return err->code;
}

enum airlock_code airlock_signer_site_list(struct airlock_signer *s,
    struct airlock_signer_site_list *out, struct airlock_err *err)
{
	out->sites = NULL;
	out->n = 0;
	if (load_sites(s, out, err) == AIRLOCK_OK)
		for (size_t i = 0; i < out->n && err->code == AIRLOCK_OK; i++)
			load_holdings(s, &out->sites[i], err);
	if (err->code != AIRLOCK_OK)
		airlock_signer_site_list_release(out);
	return err->code;
}
