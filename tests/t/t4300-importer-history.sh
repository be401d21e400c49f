#!/bin/sh
# history: each version's change summary against the next older one, in
# text and JSON (the console's Feeds history shows the same numbers).
TDIR=$(cd "$(dirname "$0")" && pwd)
. "$TDIR/lib.sh"
. "$TDIR/importer-lib.sh"

test_expect_success 'two versions imported' '
	importer_setup && feed_v1 && mkbundle b1 && imp import b1 >/dev/null &&
	feed_v2 && mkbundle b2 && imp import b2 >/dev/null
'

# v1 -> v2: numbers edited, the symlink retargeted (changed 2); b and
# n-copy.txt new (added 2); a gone (removed 1). v1 itself: 5 files added.
test_expect_success 'history --json counts added, changed and removed files' '
	imp history iocs --json >h.json &&
	python3 -c "
import json, sys
v = json.load(open(\"h.json\"))[\"versions\"]
assert [x[\"version\"] for x in v] == [2, 1], v
assert v[0][\"changes\"] == {\"added\": 2, \"changed\": 2, \"removed\": 1}, v[0]
assert v[1][\"changes\"] == {\"added\": 5, \"changed\": 0, \"removed\": 0}, v[1]
"
'

test_expect_success 'history text shows the same summary' '
	imp history iocs >h.txt &&
	grep "iocs@2:.*+2 ~2 -1" h.txt && grep "iocs@1:.*+5 ~0 -0" h.txt
'

test_done
