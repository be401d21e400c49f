rule Airlock_Sample_Loader
{
    meta:
        description = "SampleLoader marker strings (SAMPLE rule, matches only harmless marker strings)"
        author = "airlock demo"
        date = "2026-11-01"
    strings:
        $s0 = "AIRLOCK-SAMPLE-LOADER" ascii wide
        $s1 = "sample-loader-marker" ascii wide
    condition:
        any of them
}
