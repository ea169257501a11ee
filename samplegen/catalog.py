"""What the simulated membership site is made of: its traffic, channels, devices,
places, pages and plans.

The records are written in the shapes the outputs need (a device or a place is the
GA4 export's `device` / `geo` record; a channel carries both its GA4 traffic source
and the CRM's name for it), so the GA4 shards and the membership exports read the
same catalogue and always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

MEMBER_ID_BASE = 100_000  # member_id 100001 is the first member to sign up
OFFLINE_MEMBER_SHARE = 0.06  # sign up in a store / by phone: no user_id, no GA4 events
STREAM_ID = "4178352910"
# The membership app (Firebase): some mobile visitors use it instead of the site. Its
# events go to a second stream of the same property, as in a web-and-app property.
APP_STREAM_ID = "4178352977"
APP_SHARE = 0.15  # of visitors on a phone
APP_SCREENS = ("Home", "Plans", "About", "Guide", "MonthlyVsAnnual", "Events", "WeeklyPicks", "SignUp",
               "MyPage", "Checkout")  # one per page of PAGES
# What an app store install looks like in the export's first-user traffic_source, on
# Android and on iOS: no campaign (a real null).
APP_STORE_SOURCES = ({"source": "google-play", "medium": "organic", "name": None},
                     {"source": "apple", "medium": "organic", "name": None})
HOSTNAME = "www.example-membership.kr"
SITE = f"https://{HOSTNAME}"

# Hours 0..23 in Asia/Seoul: quiet nights, a lunch bump, an evening peak.
HOUR_WEIGHTS = np.array(
    [2.0, 1.2, 0.7, 0.4, 0.3, 0.4, 0.8, 1.5, 2.5, 3.2, 3.6, 3.8,
     4.0, 3.8, 3.6, 3.6, 3.7, 3.9, 4.2, 4.8, 5.4, 5.6, 4.8, 3.5]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
# Monday..Sunday traffic factors (mean 1).
WEEKDAY_FACTOR = np.array([1.05, 1.08, 1.06, 1.04, 0.98, 0.86, 0.93])
WEEKDAY_FACTOR = WEEKDAY_FACTOR / WEEKDAY_FACTOR.mean()


def traffic_factor(day_index: int, day: date) -> float:
    """The day's traffic relative to the yearly mean."""
    # Gentle growth with a mean of 1 over the first year, flat after the second.
    growth = 0.9 + 0.2 * min(day_index, 730) / 365
    return growth * WEEKDAY_FACTOR[day.weekday()]


@dataclass(frozen=True)
class Channel:
    source: str
    medium: str
    name: str  # traffic_source.name: campaign, or (organic) / (direct) / (referral)
    weight: float  # share of new visitors
    return_weight: float  # share of return sessions
    signup_rate: float  # share of its new visitors who ever sign up
    pay_factor: float  # multiplies the base probability that a member pays
    referrer: str | None
    utm: bool  # carries utm_* parameters (collected_traffic_source.manual_*)
    gclid: bool
    label_ko: str  # how the CRM names the channel (--messy exports' signup_channel)


CHANNELS = (
    Channel("google", "organic", "(organic)", 30, 10, 0.045, 1.0, "https://www.google.com/", False, False,
            "구글 검색"),
    Channel("naver", "organic", "(organic)", 21, 8, 0.045, 1.0, "https://search.naver.com/", False, False,
            "네이버 검색"),
    Channel("(direct)", "(none)", "(direct)", 17, 60, 0.060, 1.1, None, False, False, "직접 방문"),
    Channel("instagram", "social", "spring_launch", 8, 3, 0.025, 0.8, "https://l.instagram.com/", True, False,
            "인스타그램"),
    Channel("google", "cpc", "brand_search_kr", 9, 2, 0.080, 1.2, "https://www.google.com/", True, True,
            "구글 광고"),
    Channel("newsletter", "email", "weekly_letter", 4, 14, 0.110, 1.4, None, True, False, "뉴스레터"),
    Channel("blog.naver.com", "referral", "(referral)", 8, 2, 0.050, 1.0, "https://blog.naver.com/", False, False,
            "네이버 블로그"),
    Channel("facebook", "paid_social", "retargeting_kr", 3, 1, 0.030, 0.8, "https://m.facebook.com/", True, False,
            "페이스북"),
)
OFFLINE_CHANNEL_LABEL = "오프라인 매장"
DIRECT_CHANNEL = next(i for i, c in enumerate(CHANNELS) if c.source == "(direct)")
# GA4 credits a direct session to the device's latest non-direct click this many days
# back at most (the dbt var session_lookback_days has the same default).
LAST_CLICK_LOOKBACK_DAYS = 30
CHANNEL_P = np.array([c.weight for c in CHANNELS]) / sum(c.weight for c in CHANNELS)
RETURN_CHANNEL_P = np.array([c.return_weight for c in CHANNELS]) / sum(c.return_weight for c in CHANNELS)
CHANNEL_SIGNUP = np.array([c.signup_rate for c in CHANNELS])
CHANNEL_PAY = np.array([c.pay_factor for c in CHANNELS])
MEAN_SIGNUP_RATE = float(CHANNEL_P @ CHANNEL_SIGNUP)


def _device(category: str, os_name: str, os_version: str, browser: str, version: str, brand: str,
            model: str, language: str = "ko-kr") -> dict:
    """A device profile as the GA4 export's `device` record."""
    return {
        "category": category, "mobile_brand_name": brand, "mobile_model_name": model,
        "operating_system": os_name, "operating_system_version": os_version, "language": language,
        "is_limited_ad_tracking": "No",
        "web_info": {"browser": browser, "browser_version": version, "hostname": HOSTNAME},
    }


# (device record, share of visitors)
DEVICES = (
    (_device("mobile", "Android", "Android 14", "Chrome", "131.0.6778.135", "Samsung", "SM-S921N"), 24),
    (_device("mobile", "Android", "Android 13", "Samsung Internet", "26.0", "Samsung", "SM-A546S"), 8),
    (_device("mobile", "iOS", "iOS 18.1", "Safari", "18.1", "Apple", "iPhone"), 30),
    (_device("desktop", "Windows", "Windows 11", "Chrome", "131.0.6778.86", "Microsoft", "(not set)"), 21),
    (_device("desktop", "Windows", "Windows 10", "Edge", "131.0.2903.70", "Microsoft", "(not set)"), 5),
    (_device("desktop", "Macintosh", "Macintosh 14.6", "Safari", "18.1", "Apple", "(not set)"), 5),
    (_device("desktop", "Macintosh", "Macintosh 14.6", "Chrome", "131.0.6778.86", "Apple", "(not set)",
             "en-us"), 4),
    (_device("tablet", "iOS", "iPadOS 18.1", "Safari", "18.1", "Apple", "iPad"), 3),
)
DEVICE_P = np.array([w for _, w in DEVICES], dtype=float) / sum(w for _, w in DEVICES)


def _geo(country: str, region: str, city: str, continent: str = "Asia",
         sub_continent: str = "Eastern Asia") -> dict:
    """A location as the GA4 export's `geo` record."""
    return {"city": city, "country": country, "continent": continent, "region": region,
            "sub_continent": sub_continent, "metro": "(not set)"}


# (geo record, ISO country code for the membership export, share of visitors)
GEOS = (
    (_geo("South Korea", "Seoul", "Seoul"), "KR", 44),
    (_geo("South Korea", "Gyeonggi-do", "Seongnam-si"), "KR", 11),
    (_geo("South Korea", "Gyeonggi-do", "Suwon-si"), "KR", 8),
    (_geo("South Korea", "Busan", "Busan"), "KR", 9),
    (_geo("South Korea", "Incheon", "Incheon"), "KR", 7),
    (_geo("South Korea", "Daegu", "Daegu"), "KR", 5),
    (_geo("South Korea", "Daejeon", "Daejeon"), "KR", 4),
    (_geo("South Korea", "Gwangju", "Gwangju"), "KR", 3),
    (_geo("Japan", "Tokyo", "Tokyo"), "JP", 4),
    (_geo("United States", "California", "Los Angeles", "Americas", "Northern America"), "US", 3),
    (_geo("Vietnam", "Ho Chi Minh City", "Ho Chi Minh City", sub_continent="South-Eastern Asia"), "VN", 2),
)
GEO_P = np.array([w for *_, w in GEOS], dtype=float) / sum(w for *_, w in GEOS)

PAGES = (
    ("/", "멤버십 | 홈"),
    ("/pricing", "요금제 안내"),
    ("/about", "서비스 소개"),
    ("/blog/membership-guide", "멤버십 200% 활용법"),
    ("/blog/monthly-vs-annual", "월간 vs 연간, 무엇이 이득일까"),
    ("/events", "이벤트"),
    ("/content/weekly-picks", "이번 주 추천"),
    ("/signup", "회원가입"),
    ("/mypage", "마이페이지"),
    ("/checkout", "결제하기"),
)
LANDING_PAGES = 7  # the first seven pages are where visitors land
PAGE_SIGNUP, PAGE_MYPAGE, PAGE_CHECKOUT = 7, 8, 9

# The plan a payer starts on; names, prices and later changes are samplegen.plans'.
PLAN_FREE, PLAN_MONTHLY, PLAN_ANNUAL = 0, 1, 2
KRW_PER_USD = 1400.0
