"""The speed meter the window's rows and the CLI's progress line share."""

from __future__ import annotations

import pytest

from cloudbrowser.core.speed import MIN_SPAN, WINDOW, SpeedMeter

MiB = 1024 * 1024


def test_parts_landing_in_lumps_give_a_steady_rate() -> None:
    """8 MiB/s moved as one 8 MiB part a second, sampled at 10 Hz: the rate stays near
    8 MiB/s between lumps, where a per-tick rate swings between 0 and 80 MiB/s."""
    meter = SpeedMeter()
    moved = 0
    rates: list[float] = []
    for tick in range(1, 200):
        now = tick / 10
        if tick % 10 == 0:
            moved += 8 * MiB
        meter.sample(moved, now)
        if now > WINDOW:
            rates.append(meter.rate())
    assert min(rates) > 6.5 * MiB and max(rates) < 9.5 * MiB


def test_no_rate_before_a_second_and_none_for_one_sample() -> None:
    meter = SpeedMeter()
    meter.sample(0, 10.0)
    assert meter.rate() == 0.0
    meter.sample(5 * MiB, 10.0 + MIN_SPAN / 2)
    assert meter.rate() == 0.0 and meter.seconds_left(MiB) is None
    meter.sample(10 * MiB, 10.0 + MIN_SPAN * 2)
    assert meter.rate() == pytest.approx(10 * MiB / (MIN_SPAN * 2))


def test_the_rate_follows_a_change_within_the_window() -> None:
    meter = SpeedMeter()
    moved = 0
    for tick in range(1, 101):  # 10 s at 1 MiB/s
        moved += MiB // 10
        meter.sample(moved, tick / 10)
    assert meter.rate() == pytest.approx(MiB, rel=0.05)
    for tick in range(101, 101 + int(WINDOW * 10) + 1):  # then stalled for a whole window
        meter.sample(moved, tick / 10)
    assert meter.rate() == 0.0


def test_a_counter_that_starts_again_restarts_the_meter() -> None:
    meter = SpeedMeter()
    meter.sample(0, 0.0)
    meter.sample(100 * MiB, 2.0)
    meter.sample(0, 2.1)  # a retry: the transfer's counter is back at zero
    assert meter.rate() == 0.0
    meter.sample(2 * MiB, 4.1)
    assert meter.rate() == pytest.approx(MiB)
    assert meter.seconds_left(10 * MiB) == pytest.approx(10.0)
