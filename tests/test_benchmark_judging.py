"""The scale benchmark's judgement of a page (benchmarks/scale_report.py): its ratio to the
light page measured around it, and for a page measured again, the median of its rounds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.append(str(Path(__file__).resolve().parents[1] / "benchmarks"))

from scale_report import Result, table  # noqa: E402


def page(requests_per_second: float, cpu_ms: float, rounds: list[dict] | None = None) -> Result:
    return Result(
        role="admin",
        name="roster",
        path="/cohorts/1/roster",
        method="GET",
        status=200,
        bytes=1000,
        rows=35,
        queries=7,
        median_ms=10.0,
        in_process_status=200,
        requests_per_second=requests_per_second,
        cpu_ms=cpu_ms,
        rounds=rounds or [],
    )


def test_a_page_measured_once_is_judged_against_the_light_page_around_it():
    result = page(90.0, 20.0)

    result.judge(start_end=400.0, around=300.0, light_cpu_ms=5.0)

    assert result.ratio == pytest.approx(0.3)
    assert result.ratios == [pytest.approx(0.3)]
    assert result.cpu_ratio == pytest.approx(0.25)
    assert result.marks == ["CPU ratio < 0.30"]
    assert "median of" not in table([result])


def test_a_page_measured_three_times_is_judged_by_the_median_of_its_rounds():
    result = page(84.0, 20.0)  # 0.28 of the light page around it: under the goal alone

    result.judge(
        start_end=300.0,
        around=300.0,
        light_cpu_ms=5.0,
        again=[(99.0, 300.0), (128.0, 400.0)],  # 0.33 and 0.32
        cpus_again=[15.0, 16.0],
    )

    assert result.ratios == [pytest.approx(x) for x in (0.28, 0.33, 0.32)]
    assert result.ratio == pytest.approx(0.32)
    assert result.cpu_ratio == pytest.approx(5.0 / 16.0)
    assert result.marks == []
    assert "median of 0.280 0.330 0.320" in table([result])


def test_a_page_under_the_goal_in_most_rounds_stays_marked():
    result = page(84.0, 20.0, rounds=[{"non_200": 0}, {"non_200": 2}])

    result.judge(300.0, 300.0, 5.0, again=[(87.0, 300.0), (120.0, 300.0)])

    assert result.ratio == pytest.approx(0.29)
    assert "ratio < 0.30" in result.marks
    assert "2 non-200, 0 socket errors" in result.marks
