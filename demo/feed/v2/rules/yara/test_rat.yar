rule Airlock_Test_RAT
{
    meta:
        description = "TestRAT marker strings (SAMPLE rule, matches only harmless marker strings)"
        author = "airlock demo"
        date = "2026-11-01"
    strings:
        $s0 = "AIRLOCK-TEST-RAT" ascii wide
        $s1 = "test-rat-beacon" ascii wide
    condition:
        any of them
}
