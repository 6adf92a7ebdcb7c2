import random

import pytest

from odoo.addons.saas_connector_base.lib.backoff import retry_delay


def test_schedule_doubles_from_the_base_up_to_the_cap():
    delays = [retry_delay(attempt, base=10, cap=300) for attempt in range(1, 8)]
    assert delays == [10, 20, 40, 80, 160, 300, 300]


def test_jitter_only_shortens_and_stays_within_its_fraction():
    rng = random.Random(7)
    for attempt in range(1, 12):
        full = retry_delay(attempt, base=10, cap=3600)
        jittered = retry_delay(attempt, base=10, cap=3600, jitter=0.2, rng=rng)
        assert full * 0.8 - 1 <= jittered <= full


@pytest.mark.parametrize(("attempt", "jitter"), [(0, 0.0), (1, 1.0), (1, -0.1)])
def test_invalid_arguments_are_refused(attempt, jitter):
    with pytest.raises(ValueError):
        retry_delay(attempt, jitter=jitter)
