"""Rebuilding behind the requests (interventions/caching/behind.py): one rebuild at a time per
kept thing, in a thread of its own that closes its database connections; a failure is logged
and the next request may start another."""

import threading

import pytest
from django.db import connections

from interventions.caching import behind
from interventions.caching.behind import Behind


def test_one_rebuild_runs_at_a_time(held_rebuilds):
    rebuilds = Behind("A thing")
    done = []
    assert rebuilds.start(lambda: done.append(1))
    assert rebuilds.start(lambda: done.append(2))  # under way already: not started again
    assert len(held_rebuilds) == 1
    held_rebuilds.pop()()
    assert done == [1]
    assert rebuilds.start(lambda: done.append(3))  # the first has ended: a new one may start
    held_rebuilds.pop()()
    assert done == [1, 3]


def test_a_failed_rebuild_is_logged_and_another_may_start(held_rebuilds, caplog):
    rebuilds = Behind("The thing")

    def fails() -> None:
        raise ConnectionError("the database went away")

    assert rebuilds.start(fails)
    held_rebuilds.pop()()  # does not raise: nobody waits for it
    assert "The thing could not be loaded again" in caplog.text
    assert "the database went away" in caplog.text
    assert rebuilds.start(lambda: None)
    assert len(held_rebuilds) == 1


def test_without_a_thread_the_caller_builds_it_itself(monkeypatch):
    def no_thread(refresh) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(behind, "refresh_behind", no_thread)
    rebuilds = Behind("A thing")
    assert not rebuilds.start(lambda: None)
    monkeypatch.setattr(behind, "refresh_behind", lambda refresh: refresh())
    ran = []
    assert rebuilds.start(lambda: ran.append(1))  # a failed start leaves none under way
    assert ran == [1]


@pytest.mark.django_db
def test_a_rebuild_runs_in_a_thread_that_closes_its_database_connections(monkeypatch):
    seen = {}
    closed_in = []
    close_all = connections.close_all

    def closing() -> None:
        closed_in.append(threading.current_thread())
        close_all()

    monkeypatch.setattr(connections, "close_all", closing)

    def rebuild() -> None:
        connection = connections["default"]
        connection.ensure_connection()
        seen["thread"], seen["connection"] = threading.current_thread(), connection

    assert Behind("A thing").start(rebuild)
    for thread in threading.enumerate():
        if thread.name == "refresh-behind":
            thread.join(timeout=30)
    assert seen["thread"] is not threading.main_thread()
    assert seen["connection"] is not connections["default"]  # the thread's own
    assert closed_in == [seen["thread"]]
    if seen["connection"].vendor != "sqlite":  # SQLite never closes the tests' in-memory one
        assert seen["connection"].connection is None
