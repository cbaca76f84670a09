"""Norway's public holidays (helligdagsloven § 2 and the 1 and 17 May days): fixed dates and the Easter cycle.

Written out rather than taken from the `holidays` package: that package loads some 300 modules and 11 MiB to
answer for one country whose twelve days have not changed since 1947 (a test compares the two for 1950-2100).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from bot.core.catalog import t

# Days after Easter Sunday, by catalogue key (holiday.<key>).
_EASTER = (("skjaertorsdag", -3), ("langfredag", -2), ("paaskedag", 0), ("andre_paaskedag", 1),
           ("kristi_himmelfart", 39), ("pinsedag", 49), ("andre_pinsedag", 50))  # fmt: skip
_FIXED = (("nyttaarsdag", 1, 1), ("arbeidernes_dag", 5, 1), ("grunnlovsdag", 5, 17), ("juledag", 12, 25),
          ("andre_juledag", 12, 26))  # fmt: skip


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday in the Gregorian calendar (the anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def holiday_keys(year: int) -> dict[dt.date, str]:
    """The year's public holidays as catalogue keys (`holiday.<key>`), by date."""
    easter = easter_sunday(year)
    days = {easter + dt.timedelta(days=offset): key for key, offset in _EASTER}
    days.update({dt.date(year, month, day): key for key, month, day in _FIXED})
    return dict(sorted(days.items()))


def public_holidays(year: int) -> dict[dt.date, str]:
    """The year's public holidays with their names in the language in effect."""
    return {day: t(f"holiday.{key}") for day, key in holiday_keys(year).items()}
