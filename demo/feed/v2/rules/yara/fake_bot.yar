rule Airlock_Fake_Bot
{
    meta:
        description = "FakeBot marker strings (SAMPLE rule, matches only harmless marker strings)"
        author = "airlock demo"
        date = "2026-11-21"
    strings:
        $s0 = "AIRLOCK-FAKE-BOT" ascii wide
        $s1 = "fake-bot-update-check" ascii wide
    condition:
        any of them
}
