"""The search's kept values (search.query.KeptValue): per catalogue version, and past their time
within a version served while one thread loads them again, never across a version."""

import time

import pytest

from interventions.search.query import CACHE_SECONDS, STALE_SECONDS, KeptValue
from tests.factories import InterventionFactory

pytestmark = pytest.mark.django_db


class Loads:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> int:
        self.count += 1
        return self.count


def test_a_value_past_its_time_is_served_while_one_refresh_loads_it(clock, held_rebuilds):
    kept = KeptValue(loads := Loads())
    assert kept.get() == 1
    clock.now += CACHE_SECONDS + 1
    assert [kept.get(), kept.get()] == [1, 1]  # no request waits for the load
    assert len(held_rebuilds) == 1  # one refresh at a time
    held_rebuilds.pop()()
    assert loads.count == 2
    assert kept.get() == 2
    clock.now += CACHE_SECONDS
    assert kept.get() == 2
    assert not held_rebuilds


def test_a_value_is_never_served_across_a_catalogue_version(clock, held_rebuilds):
    kept = KeptValue(Loads())
    assert kept.get() == 1
    clock.now += CACHE_SECONDS + 1
    InterventionFactory()  # a new data version
    assert kept.get() == 2  # loaded by the request, not served stale
    assert not held_rebuilds


def test_a_refresh_begun_in_an_older_version_is_not_served_in_a_newer_one(clock, held_rebuilds):
    kept = KeptValue(Loads())
    kept.get()
    clock.now += CACHE_SECONDS + 1
    kept.get()
    InterventionFactory()  # the version moves while the refresh runs
    held_rebuilds.pop()()
    assert kept.get() == 3


def test_a_refresh_begun_before_a_forget_is_not_kept(clock, held_rebuilds):
    kept = KeptValue(loads := Loads())
    kept.get()
    clock.now += CACHE_SECONDS + 1
    kept.get()
    kept.forget()  # this process changed what the value is read from
    held_rebuilds.pop()()
    assert loads.count == 2
    assert kept.get() == 3


def test_a_stale_value_is_served_for_a_bounded_time(clock, held_rebuilds):
    kept = KeptValue(Loads())
    kept.get()
    clock.now += CACHE_SECONDS + STALE_SECONDS
    assert kept.get() == 1
    clock.now += 1  # the refresh has not finished: the request loads it itself
    assert kept.get() == 2


def test_a_failed_refresh_keeps_the_value_and_is_tried_again(clock, held_rebuilds, caplog):
    calls = []

    def load() -> str:
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the database went away")
        return f"value {len(calls)}"

    kept = KeptValue(load)
    kept.get()
    clock.now += CACHE_SECONDS + 1
    assert kept.get() == "value 1"
    held_rebuilds.pop()()
    assert "could not be loaded again" in caplog.text
    assert kept.get() == "value 1"
    held_rebuilds.pop()()
    assert kept.get() == "value 3"


def test_a_refresh_runs_in_a_thread_of_its_own(clock):
    kept = KeptValue(loads := Loads())
    kept.get()
    clock.now += CACHE_SECONDS + 1
    assert kept.get() == 1
    for _ in range(100):  # the thread's load: no database needed
        if loads.count == 2 and kept.get() == 2:
            break
        time.sleep(0.01)
    assert kept.get() == 2
