"""Vietnamese and English for the dashboard: the message catalogue and per-locale formatting.

The language is the `ishc_lang` cookie when set (the switch), else the best match of
`Accept-Language`, else Vietnamese: most users read Vietnamese. Numbers, VND, dates and times
are formatted by Babel for the locale; times are shown in Viet Nam (Asia/Ho_Chi_Minh) whatever
the server's zone.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Literal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from starlette.requests import Request

from gateway.dashboard.vietnamese import GENERIC_VI, validation_message
from ishc_contracts.reference import reference
from ishc_runtime.clock import VN_TZ

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
LANG_COOKIE = "ishc_lang"
BABEL_LOCALE: dict[Lang, str] = {"vi": "vi_VN", "en": "en_GB"}
DATE_PATTERN = "dd/MM/yyyy"
DATETIME_PATTERN = "dd/MM/yyyy HH:mm"


def _catalogue() -> dict[str, tuple[str, str]]:
    """The message catalogue, one JSON file per language in `messages/` (a translator edits
    a file, not code): key -> (Vietnamese, English). A key missing in either is an error."""
    folder = resources.files("gateway.dashboard") / "messages"
    vi, en = (json.loads((folder / f"{lang}.json").read_text("utf-8")) for lang in LANGS)
    if vi.keys() != en.keys():
        msg = f"message keys differ between languages: {sorted(vi.keys() ^ en.keys())}"
        raise ValueError(msg)
    return {key: (vi[key], en[key]) for key in vi}


MESSAGES: dict[str, tuple[str, str]] = _catalogue()


@dataclass(frozen=True)
class Translator:
    """Messages and formatting for one request's language."""

    lang: Lang

    @property
    def locale(self) -> str:
        return BABEL_LOCALE[self.lang]

    def __call__(self, key: str) -> str:
        pair = MESSAGES.get(key)
        if pair is None:
            return key.rsplit(".", 1)[-1].replace("_", " ")
        return pair[0] if self.lang == "vi" else pair[1]

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def vnd(self, amount: int | None) -> str:
        if amount is None:
            return "—"
        return format_currency(amount, "VND", locale=self.locale)

    def number(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, share: float | None) -> str:
        """A share (0.25) as a percentage."""
        return "—" if share is None else format_percent(share, "#,##0.#%", locale=self.locale)

    def pct(self, value: float | None) -> str:
        """A value already in percent (25.0)."""
        return "—" if value is None else self.percent(value / 100)

    def date(self, value: date | str | None) -> str:
        """dd/mm/yyyy in both languages: what Vietnamese forms and registers use."""
        if value is None or value == "":
            return "—"
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return format_date(day, format=DATE_PATTERN, locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None or value == "":
            return "—"
        instant = datetime.fromisoformat(value) if isinstance(value, str) else value
        if instant.tzinfo is not None:
            instant = instant.astimezone(VN_TZ)
        return format_datetime(instant, format=DATETIME_PATTERN, locale=self.locale)

    def week(self, iso_week: str | None) -> str:
        """`2026-W49` as the dates it covers: "30/11/2026 to 06/12/2026" with an en dash."""
        if not iso_week:
            return "—"
        found = re.match(r"^(\d{4})-W(\d{2})$", iso_week)
        if found is None:
            return iso_week
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1)
        return f"{self.date(monday)} \u2013 {self.date(monday + timedelta(days=6))}"

    def period(self, period: str) -> str:
        """A report period (2026-11, 2026-Q4, 2026) as people say it."""
        month = re.match(r"^(\d{4})-(\d{2})$", period)
        if month:
            return f"{self('period.month')} {month[2]}/{month[1]}"
        quarter = re.match(r"^(\d{4})-Q([1-4])$", period)
        if quarter:
            return f"{self('period.quarter')} {quarter[2]}/{quarter[1]}"
        return f"{self('period.year')} {period}" if re.match(r"^\d{4}$", period) else period

    def month(self, value: str | None) -> str:
        """A month (an ISO date, its first day) as mm/yyyy."""
        if not value:
            return "—"
        return f"{value[5:7]}/{value[:4]}"

    def field_error(self, message: str) -> str:
        return validation_message(message, self.lang)

    def problem(self, body: dict[str, object]) -> str:
        """A problem document as one line in this language. The API's title is already in
        the asked language (by its stable type); its detail is English prose, so on a
        Vietnamese page it is said only when a template recognises it."""
        title = str(body.get("title") or "")
        detail = str(body.get("detail") or "")
        missing = self.missing_consent(body)
        if missing is not None:
            # The API's detail names the person by id; the page says which consent instead.
            purpose = body.get("purpose")
            if title and isinstance(purpose, str) and purpose:
                return f"{title}: {self.purpose(purpose)}"
            return missing
        if self.lang == "vi":
            said = validation_message(detail, "vi") if detail else ""
            detail = "" if said == GENERIC_VI else said
        if title and detail and title != detail:
            return f"{title}: {detail}"
        return title or detail

    def purpose(self, code: str) -> str:
        """A consent purpose's label: the catalogue's, else the reference list's own label
        in this language (a purpose added to the list before the catalogue knows it)."""
        if self.has(f"consent.{code}"):
            return self(f"consent.{code}")
        entry = next((e for e in reference("consent_purposes").entries if e.code == code), None)
        if entry is None:
            return code
        return (entry.label_vi or entry.label) if self.lang == "vi" else entry.label

    def missing_consent(self, body: dict[str, object]) -> str | None:
        """For a `consent-required` refusal (care, advocacy), which consent is missing, in
        this language; None for any other problem."""
        if not str(body.get("type") or "").endswith("consent-required"):
            return None
        purpose = body.get("purpose")
        label = self.purpose(purpose) if isinstance(purpose, str) and purpose else ""
        return f"{self('consent.missing')} {label}".strip()

    def code(self, prefix: str, code: str | None) -> str:
        """A code's label, or the code itself when the catalogue has none (data, not UI)."""
        if not code:
            return "—"
        return self(f"{prefix}.{code}") if self.has(f"{prefix}.{code}") else code


def choose_lang(request: Request) -> Lang:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGS:
        return "vi" if chosen == "vi" else "en"
    return from_accept_language(request.headers.get("accept-language", ""))


def from_accept_language(header: str) -> Lang:
    """The first supported language by quality; Vietnamese when none is."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip().lower().split("-")[0]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in ("vi", "en"):
            return "vi" if primary == "vi" else "en"
    return "vi"
