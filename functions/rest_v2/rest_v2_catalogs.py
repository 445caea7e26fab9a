"""v2's static catalogs (the categories and the languages a thing may have) and the caller's rate limit."""

from __future__ import annotations

from email.utils import formatdate

import rest_v2_common as common
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from flattr import settings
from flattr.store import ratelimit

router = APIGatewayHttpRouter()


CATEGORIES = [
    ("text", "Text"),
    ("images", "Images"),
    ("video", "Video"),
    ("audio", "Audio"),
    ("software", "Software"),
    ("people", "People"),
    ("rest", "Other"),
]
LANGUAGES = [
    ("en_GB", "English"),
    ("sq_AL", "Albanian"),
    ("ar_DZ", "Arabic"),
    ("be_BY", "Belarusian"),
    ("bg_BG", "Bulgarian"),
    ("ca_ES", "Catalan"),
    ("zh_CN", "Chinese"),
    ("hr_HR", "Croatian"),
    ("cs_CZ", "Czech"),
    ("da_DK", "Danish"),
    ("nl_NL", "Dutch"),
    ("et_EE", "Estonian"),
    ("fi_FI", "Finnish"),
    ("fr_FR", "French"),
    ("de_DE", "German"),
    ("el_GR", "Greek"),
    ("iw_IL", "Hebrew"),
    ("hi_IN", "Hindi"),
    ("hu_HU", "Hungarian"),
    ("is_IS", "Icelandic"),
    ("in_ID", "Indonesian"),
    ("ga_IE", "Irish"),
    ("it_IT", "Italian"),
    ("ja_JP", "Japanese"),
    ("ko_KR", "Korean"),
    ("lv_LV", "Latvian"),
    ("lt_LT", "Lithuanian"),
    ("mk_MK", "Macedonian"),
    ("ms_MY", "Malay"),
    ("mt_MT", "Maltese"),
    ("no_NO", "Norwegian"),
    ("pl_PL", "Polish"),
    ("pt_PT", "Portuguese"),
    ("ro_RO", "Romanian"),
    ("ru_RU", "Russian"),
    ("sr_RS", "Serbian"),
    ("sk_SK", "Slovak"),
    ("sl_SI", "Slovenian"),
    ("es_ES", "Spanish"),
    ("sv_SE", "Swedish"),
    ("th_TH", "Thai"),
    ("tr_TR", "Turkish"),
    ("uk_UA", "Ukrainian"),
    ("vi_VN", "Vietnamese"),
]


@router.get("/rest/v2/categories")
def categories():
    return [{"id": k, "text": text} for k, text in CATEGORIES]


@router.get("/rest/v2/languages")
def languages():
    return [{"id": k, "text": text} for k, text in LANGUAGES]


@router.get("/rest/v2/rate_limit")
def rate_limit():
    """Not itself counted."""
    window = ratelimit.peek(common.caller(router.current_event.raw_event), settings.get().v2_rate_limit)
    return {
        "hourly_limit": window.limit,
        "remaining_hits": window.remaining,
        "current_hits": window.used,
        "reset_time_in_seconds": window.resets_at,
        "reset_time": formatdate(window.resets_at, usegmt=True),
    }
