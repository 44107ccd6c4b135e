"""Seoul's 25 districts (자치구), as applicants name where they live, with their English names."""

# Korean name (as stored) → the official romanisation shown on English pages.
DISTRICT_NAMES_EN: dict[str, str] = {
    "강남구": "Gangnam-gu",
    "강동구": "Gangdong-gu",
    "강북구": "Gangbuk-gu",
    "강서구": "Gangseo-gu",
    "관악구": "Gwanak-gu",
    "광진구": "Gwangjin-gu",
    "구로구": "Guro-gu",
    "금천구": "Geumcheon-gu",
    "노원구": "Nowon-gu",
    "도봉구": "Dobong-gu",
    "동대문구": "Dongdaemun-gu",
    "동작구": "Dongjak-gu",
    "마포구": "Mapo-gu",
    "서대문구": "Seodaemun-gu",
    "서초구": "Seocho-gu",
    "성동구": "Seongdong-gu",
    "성북구": "Seongbuk-gu",
    "송파구": "Songpa-gu",
    "양천구": "Yangcheon-gu",
    "영등포구": "Yeongdeungpo-gu",
    "용산구": "Yongsan-gu",
    "은평구": "Eunpyeong-gu",
    "종로구": "Jongno-gu",
    "중구": "Jung-gu",
    "중랑구": "Jungnang-gu",
}

SEOUL_DISTRICTS: tuple[str, ...] = tuple(DISTRICT_NAMES_EN)


def district_name(district: str, locale: str = "ko") -> str:
    """A Seoul district in the page's language; anything else (free text) as stored."""
    if locale == "en":
        return DISTRICT_NAMES_EN.get(district, district)
    return district


def district_label(district: str) -> str:
    """Where an applicant lives, as the current page shows it ("Outside Seoul" included)."""
    from flask_babel import get_locale, gettext

    from .models.applications import OUTSIDE_SEOUL

    if district == OUTSIDE_SEOUL:
        return gettext("Outside Seoul")
    return district_name(district, str(get_locale()))
