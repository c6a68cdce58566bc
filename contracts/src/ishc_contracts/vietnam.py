"""Viet Nam's time zone, defined once for every package.

Viet Nam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact and
needs no time-zone database (which slim images and Windows may lack).
"""

from __future__ import annotations

from datetime import timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")
