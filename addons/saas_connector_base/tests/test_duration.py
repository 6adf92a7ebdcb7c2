import pytest

from odoo.addons.saas_connector_base.lib.duration import human_duration


@pytest.mark.parametrize(
    ("milliseconds", "shown"),
    [
        (0, "0 ms"),
        (850, "850 ms"),
        (999, "999 ms"),
        (1000, "1.0 s"),
        (13651, "13.7 s"),
        (59949, "59.9 s"),
        (59950, "1 min 00 s"),
        (245_000, "4 min 05 s"),
        (3_599_400, "59 min 59 s"),
        (3_600_000, "1 h 00 min"),
        (7_830_000, "2 h 10 min"),
        (90_000_000, "1 d 1 h"),
    ],
)
def test_durations_are_shown_in_the_unit_people_read(milliseconds, shown):
    assert human_duration(milliseconds) == shown


def test_not_measured_is_empty_and_negative_is_refused():
    assert human_duration(None) == ""
    with pytest.raises(ValueError):
        human_duration(-1)
