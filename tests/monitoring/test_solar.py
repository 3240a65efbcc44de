from datetime import datetime
from zoneinfo import ZoneInfo

from monitoring.solar import clear_sky_irradiance, is_daylight, sun_elevation_deg

SEOUL = ZoneInfo("Asia/Seoul")
NAJU = (35.0, 126.7)


def test_sun_is_high_at_noon_in_june_and_down_at_midnight():
    noon = datetime(2026, 6, 21, 12, 30, tzinfo=SEOUL)
    midnight = datetime(2026, 6, 21, 0, 0, tzinfo=SEOUL)
    # At 35°N on the solstice the noon sun stands about 90 - 35 + 23.4 = 78.4° high.
    assert 76 < sun_elevation_deg(*NAJU, noon) < 80
    assert sun_elevation_deg(*NAJU, midnight) < -20
    assert is_daylight(*NAJU, noon) and not is_daylight(*NAJU, midnight)


def test_clear_sky_irradiance_is_zero_at_night_and_peaks_near_noon():
    day = [datetime(2026, 3, 20, h, 0, tzinfo=SEOUL) for h in range(24)]
    values = [clear_sky_irradiance(*NAJU, t) for t in day]
    assert values[0] == 0 and values[23] == 0
    assert max(range(24), key=values.__getitem__) in (12, 13)
    assert 800 < max(values) < 1000
