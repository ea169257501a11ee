"""tests/reference/reference_acquisition.py on hand-checked cases: GA4's default channel group
rules on examples worked out from Google's "[GA4] Default channel group" text (each
rule, the order between them, letter case, empty values), the referrer reading of a
session, and a small session by hand."""

from __future__ import annotations

import datetime as dt

import pytest

import tests.reference.reference_acquisition as acq

# A small extract of Google's source-category list, enough for the cases below.
CATEGORIES = {
    "google": "SEARCH", "naver": "SEARCH", "daum": "SEARCH", "m.search.naver.com": "SEARCH",
    "facebook": "SOCIAL", "instagram": "SOCIAL", "kakao": "SOCIAL", "blog.naver.com": "SOCIAL",
    "amazon": "SHOPPING", "shopping.naver.com": "SHOPPING", "youtube": "VIDEO",
}

# (source, medium, campaign, channel group): one or more per rule, and the orderings
# Google's table implies (Direct before Cross-network before the paid rules; a paid
# medium on a listed site before Paid Other; Display's cpm before Paid Other; a listed
# social site before the Referral medium).
CASES = [
    ("(direct)", "(none)", "(direct)", "Direct"),
    ("(DIRECT)", "(Not Set)", None, "Direct"),
    ("(direct)", "(none)", "pmax_cross-network", "Direct"),
    ("google", "cpc", "brand_cross-network", "Cross-network"),
    ("amazon", "cpc", "spring", "Paid Shopping"),
    ("example.com", "ppc", "summer_shop", "Paid Shopping"),
    ("google", "cpc", "brand_search_kr", "Paid Search"),
    ("Naver", "PPC", "brand", "Paid Search"),
    ("facebook", "paid_social", "retargeting_kr", "Paid Social"),
    ("youtube", "cpv", "launch", "Paid Video"),
    ("example.com", "cpm", "launch", "Display"),
    ("example.com", "display", "launch", "Display"),
    ("example.com", "retargeting", "launch", "Paid Other"),
    ("shopping.naver.com", "referral", "(referral)", "Organic Shopping"),
    ("example.com", "(none)", "spring_shop_sale", "Organic Shopping"),
    ("instagram", "social", "spring_launch", "Organic Social"),
    ("blog.naver.com", "referral", "(referral)", "Organic Social"),
    ("kakao", "referral", "(referral)", "Organic Social"),
    ("example.com", "sm", "launch", "Organic Social"),
    ("youtube", "referral", "(referral)", "Organic Video"),
    ("example.com", "video_ad", "launch", "Organic Video"),
    ("daum", "referral", "(referral)", "Organic Search"),
    ("zum", "organic", "(organic)", "Organic Search"),
    ("example.com", "referral", "(referral)", "Referral"),
    ("example.com", "APP", None, "Referral"),
    ("newsletter", "email", "weekly_letter", "Email"),
    ("e-mail", "newsletter", None, "Email"),
    ("partner.example", "affiliate", None, "Affiliates"),
    ("podcast.example", "audio", None, "Audio"),
    ("sms", "text", None, "SMS"),
    ("example.com", "SMS", None, "SMS"),
    ("example.com", "web_push", None, "Mobile Push Notifications"),
    ("example.com", "notification", None, "Mobile Push Notifications"),
    ("firebase", "fcm", None, "Mobile Push Notifications"),
    ("example.com", "newsletter", None, "Unassigned"),
    (None, None, None, "Unassigned"),
    ("", "", "", "Unassigned"),
]


@pytest.mark.parametrize(("source", "medium", "campaign", "expected"), CASES)
def test_channel_group_follows_googles_rules(source: str | None, medium: str | None,
                                             campaign: str | None, expected: str) -> None:
    assert acq.channel_group(source, medium, campaign, CATEGORIES) == expected


def test_every_group_google_names_is_reachable() -> None:
    groups = {expected for *_, expected in CASES}
    assert groups == {
        "Direct", "Cross-network", "Paid Shopping", "Paid Search", "Paid Social", "Paid Video",
        "Display", "Paid Other", "Organic Shopping", "Organic Social", "Organic Video",
        "Organic Search", "Referral", "Email", "Affiliates", "Audio", "SMS",
        "Mobile Push Notifications", "Unassigned",
    }


def test_the_seed_classifies_korean_sources_as_google_does() -> None:
    categories = acq.source_categories()
    assert categories["naver"] == categories["daum"] == "SEARCH"
    assert categories["kakao"] == categories["blog.naver.com"] == categories["cafe.naver.com"] == "SOCIAL"
    assert categories["shopping.naver.com"] == "SHOPPING"
    assert "search.naver.com" not in categories


@pytest.mark.parametrize(("host", "expected"), [
    ("www.google.com", ("google", "organic", "(organic)")),
    ("search.naver.com", ("naver", "organic", "(organic)")),
    ("m.search.naver.com", ("naver", "organic", "(organic)")),
    ("blog.naver.com", ("blog.naver.com", "referral", "(referral)")),
    ("l.instagram.com", ("l.instagram.com", "referral", "(referral)")),
    ("news.example.kr", ("news.example.kr", "referral", "(referral)")),
])
def test_a_referring_host_is_a_search_engine_or_a_referral(host: str, expected: tuple) -> None:
    assert acq.referrer_source(host, CATEGORIES) == expected


def _event(ts: int, name: str, **fields: object) -> acq.Event:
    base = dict(event_date=dt.date(2025, 1, 1), timestamp=ts, name=name, stream_id="1", user_id=None,
                pseudo="p1", first_touch=1, session_id=7, engagement_msec=None, engaged_flag=False,
                page_location="https://site.kr/", page_referrer=None, ts_source="google",
                ts_medium="organic", ts_name="(organic)", collected=(None, None, None, None),
                last_click=(None, None, None))
    return acq.Event(**{**base, **fields})


def test_a_session_by_hand() -> None:
    """The landing page view came from search.naver.com; a later page carries UTM tags,
    which win (collected_traffic_source comes before the referrer); 6 s + 5 s of
    engagement make it engaged; a cookieless ping is no session of it."""
    events = [
        _event(1, "session_start"),
        _event(2, "page_view", page_referrer="https://search.naver.com/search?q=x"),
        _event(3, "user_engagement", engagement_msec=6000.0),
        _event(4, "page_view", page_location="https://site.kr/pricing", page_referrer="https://site.kr/",
               collected=("newsletter", "email", None, None)),
        _event(5, "user_engagement", engagement_msec=5000.0),
        _event(6, "page_view", pseudo=None, session_id=None),
    ]
    rows = acq.sessions(events, CATEGORIES).to_dict("records")
    assert len(rows) == 1
    row = rows[0]
    assert (row["session_source"], row["session_medium"], row["session_campaign"]) == \
        ("newsletter", "email", "(not set)")
    assert row["session_channel_group"] == "Email"
    assert row["attribution_basis"] == "collected_traffic_source"
    assert row["is_engaged_session"] and row["page_views"] == 2 and row["engagement_seconds"] == 11.0
    daily = acq.sessions_daily(events, acq.sessions(events, CATEGORIES)).to_dict("records")
    assert daily[0]["day_events_without_session"] == 1 and daily[0]["sessions"] == 1


def _session_day(day: int, session: int, hour: int = 1, **fields: object) -> acq.Event:
    when = dt.datetime(2025, 1, day, hour, tzinfo=dt.UTC)
    return _event(int(when.timestamp() * 1e6), "page_view", event_date=when.date(), session_id=session,
                  **fields)


def test_direct_sessions_take_the_devices_last_non_direct_click() -> None:
    """Four daily sessions of one device: A (a campaign), B (direct), C (another
    campaign, from a 2020 shard's event parameters), D (direct): B takes A's values and D
    C's. A second device's direct session 31 days after its search visit stays direct."""
    events = [
        _session_day(1, 1, collected=("newsletter", "email", "weekly", None)),
        _session_day(2, 2),
        _session_day(3, 3, params=("google", "cpc", "brand", "Cj0x")),
        _session_day(4, 4),
        _session_day(1, 5, pseudo="p2", page_referrer="https://www.google.com/"),
        _session_day(1, 6, pseudo="p2", hour=2),
    ]
    late = dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC)
    events.append(_event(int(late.timestamp() * 1e6), "page_view", event_date=late.date(), session_id=7,
                         pseudo="p2"))
    rows = {r["ga_session_id"]: r for r in acq.sessions(events, CATEGORIES).to_dict("records")}
    scoped = {k: (r["attribution_basis"], r["session_source"], r["session_medium"], r["session_campaign"])
              for k, r in rows.items()}
    assert scoped == {
        1: ("collected_traffic_source", "newsletter", "email", "weekly"),
        2: ("earlier_session", "newsletter", "email", "weekly"),
        3: ("event_parameters", "google", "cpc", "brand"),
        4: ("earlier_session", "google", "cpc", "brand"),
        5: ("page_referrer", "google", "organic", "(organic)"),
        6: ("earlier_session", "google", "organic", "(organic)"),
        7: ("none", "(direct)", "(none)", "(direct)"),
    }
    assert rows[4]["touch_source"] == "(direct)" and rows[4]["session_channel_group"] == "Paid Search"


def test_event_parameters_come_before_the_referrer_and_missing_parts_read_not_set() -> None:
    """A 2020 shard: the landing page came from Google's search, a later event carries
    utm tags in the event parameters without a campaign."""
    events = [
        _event(1, "page_view", page_referrer="https://www.google.com/"),
        _event(2, "page_view", params=("instagram", "social", None, None)),
    ]
    row = acq.sessions(events, CATEGORIES).to_dict("records")[0]
    assert (row["touch_basis"], row["touch_source"], row["touch_medium"], row["touch_campaign"]) == \
        ("event_parameters", "instagram", "social", "(not set)")


def test_a_first_user_source_with_null_parts_reads_not_set() -> None:
    """An app installed from the store: google-play / organic with no campaign."""
    events = [_event(1, "first_open", ts_source="google-play", ts_medium="organic", ts_name=None)]
    device = acq.devices(events, CATEGORIES)["p1"]
    assert device["triple"] == ("google-play", "organic", "(not set)")
    assert device["group"] == "Organic Search"
