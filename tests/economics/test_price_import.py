from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from economics.models import RecPrice, SmpPrice

pytestmark = pytest.mark.django_db

GOOD = """\ufeffkind,market,date,price
smp,mainland,2026-05-01,120.50
smp,jeju,2026-05,98.10
SMP,Mainland,2026-05-02,"1,130.00"
rec,,2026-04-29,71500
"""


def run(tmp_path, text: str) -> tuple[str, str]:
    path = tmp_path / "prices.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_prices", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_good_file_is_imported(tmp_path):
    out, _err = run(tmp_path, GOOD)
    assert "4 prices added, 0 replaced" in out
    assert SmpPrice.objects.get(market="mainland", period="day", date=date(2026, 5, 1)
                                ).won_per_kwh == Decimal("120.50")  # fmt: skip
    jeju = SmpPrice.objects.get(market="jeju")
    assert (jeju.period, jeju.date) == ("month", date(2026, 5, 1))
    assert jeju.won_per_kwh == Decimal("98.10")
    assert SmpPrice.objects.get(date=date(2026, 5, 2)).won_per_kwh == Decimal("1130.00")
    # any day of the week is stored under its Monday
    assert RecPrice.objects.get().week_start == date(2026, 4, 27)


def test_importing_again_replaces_the_prices(tmp_path):
    run(tmp_path, GOOD)
    out, _err = run(tmp_path, GOOD.replace("120.50", "121.00"))
    assert "0 prices added, 4 replaced" in out
    assert SmpPrice.objects.count() == 3
    assert SmpPrice.objects.get(date=date(2026, 5, 1), period="day").won_per_kwh == Decimal("121")


def test_a_bad_file_says_what_is_wrong_on_each_line_and_stores_nothing(tmp_path):
    bad = GOOD + (
        "smp,seoul,2026-05-03,100\n"
        "smp,mainland,2026-13-01,100\n"
        "rec,,2026-05-04,lots\n"
        "rec,jeju,2026-05-04,100\n"
        "wind,mainland,2026-05-04,100\n"
        "smp,mainland,2026-05-04\n"
        "smp,mainland,2026-05-05,-3\n"
        "smp,mainland,2026-05-01,125\n"
    )
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError, match="8 bad lines: nothing was imported"):
        call_command("import_prices", str(path), stderr=err)
    problems = err.getvalue().splitlines()
    assert [p.split(":")[0] for p in problems] == [f"Line {n}" for n in range(6, 14)]
    assert problems[-1] == "Line 13: a different price for the same period is on line 2."
    assert "expected 4 fields" in problems[5] and "between 0 and" in problems[6]
    assert SmpPrice.objects.count() == 0 and RecPrice.objects.count() == 0


def test_each_bad_line_is_named(tmp_path, capsys):
    bad = "kind,market,date,price\nsmp,seoul,2026-05-03,100\nrec,,2026-05-04,lots\n"
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_prices", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines == [
        "Line 2: the market must be mainland or jeju, not 'seoul'.",
        "Line 3: 'lots' is not a price in won.",
    ]


def test_a_wrong_header_or_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="1 bad lines"):
        run(tmp_path, "date,price\n2026-05-01,100\n")
    with pytest.raises(CommandError, match="Could not read"):
        call_command("import_prices", str(tmp_path / "nowhere.csv"))
