"""Timeouts in seconds become the C library's milliseconds (ms()): None is
no deadline (0), anything at or below zero the shortest (1 ms), fractions
round up, and a deadline past what the C call takes (2**32 - 1 ms, about
49 days) is that, not a wrapped-around small number."""
from __future__ import annotations

import pytest

from aserial._port import ms

pytestmark = pytest.mark.blocking


@pytest.mark.parametrize("seconds,millis", [
    (None, 0), (0, 1), (0.0, 1), (-3, 1), (0.0001, 1), (0.001, 1), (0.0015, 2),
    (2.0, 2000), (2, 2000), (1e10, 2**32 - 1), (float("inf"), 2**32 - 1),
])
def test_seconds_to_milliseconds(seconds, millis):
    assert ms(seconds) == millis


@pytest.mark.parametrize("bad", ["1", b"1", float("nan")])
def test_a_timeout_that_is_not_a_number_is_refused(bad):
    with pytest.raises((TypeError, ValueError), match="timeout"):
        ms(bad)
