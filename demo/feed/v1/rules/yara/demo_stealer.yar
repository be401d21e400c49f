rule Airlock_Demo_Stealer
{
    meta:
        description = "DemoStealer marker strings (SAMPLE rule, matches only harmless marker strings)"
        author = "airlock demo"
        date = "2026-11-01"
    strings:
        $s0 = "AIRLOCK-DEMO-STEALER" ascii wide
        $s1 = "demo-stealer-config" ascii wide
    condition:
        any of them
}
