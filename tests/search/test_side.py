"""A search's statements on two connections at once (interventions/search/side.py): the same
results as on one, in the caller's thread whenever another connection could not see what the
caller sees, and the side thread's connection kept, renewed and closed as a request's is.

The tests run in a transaction, where `run` never shares: where a test makes it share, it reads
only the curated catalogue, which the session committed before any test began, so the side
connection sees what the test's connection sees.
"""

import threading

import pytest
from django.db import connection, connections

from interventions.search import query, side
from interventions.search.hints import understand
from interventions.search.query import ranked_groups
from tests.search.test_lookup import judged_and_sampled

pytestmark = pytest.mark.django_db

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL's statements are shared"
)


@pytest.fixture
def sharing(monkeypatch):
    """`run` shares as it would outside a transaction; the side connection closed afterwards."""
    monkeypatch.setattr(side, "may_share", lambda alias: True)
    yield
    side.close()


def thread_name() -> str:
    return threading.current_thread().name


def ran_in(monkeypatch) -> list[str]:
    """The threads that the search's statements ran in, one name per statement."""
    threads: list[str] = []
    for name in ("_read_ids", "_read_by_counts"):
        read = getattr(query, name)

        def spied(*args, read=read):
            threads.append(thread_name())
            return read(*args)

        monkeypatch.setattr(query, name, spied)
    return threads


@postgresql_only
def test_a_search_on_two_connections_ranks_as_on_one(monkeypatch):
    texts = judged_and_sampled()
    alone = [ranked_groups(understand(text)) for text in texts]
    threads = ran_in(monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(side, "may_share", lambda alias: True)
        try:
            shared = [ranked_groups(understand(text)) for text in texts]
        finally:
            side.close()
    # The same scores, best first, and the same entries in each (their order within a score
    # is none in particular).
    assert [{rank: sorted(pks) for rank, pks in found.items()} for found in shared] == [
        {rank: sorted(pks) for rank, pks in found.items()} for found in alone
    ]
    assert [list(found) for found in shared] == [list(found) for found in alone]
    assert "MainThread" in threads
    assert any(name.startswith("search-side") for name in threads)


@postgresql_only
def test_a_word_sends_its_fields_counts_beside_the_lookup_only_when_shared(monkeypatch):
    """Sent beside the words lookup, the fields' counts go before it is known whether the word
    finds anything; one after the other, only when it does (as the query budgets count)."""
    threads = ran_in(monkeypatch)
    ranked_groups(understand("kamelzebra"))
    assert threads == ["MainThread"]  # the lookup alone: it found nothing
    threads.clear()
    with monkeypatch.context() as patched:
        patched.setattr(side, "may_share", lambda alias: True)
        try:
            ranked_groups(understand("kamelzebra"))
        finally:
            side.close()
    assert len(threads) == 2


def test_in_a_transaction_every_call_runs_in_the_callers_thread():
    assert connection.in_atomic_block
    assert not side.may_share(connection.alias)
    assert side.run(connection.alias, [thread_name, thread_name, thread_name]) == ["MainThread"] * 3


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the other databases")
def test_sqlite_never_shares(monkeypatch):
    wrapper = connections[connection.alias]
    with monkeypatch.context() as patched:  # undone before the test's transaction ends
        patched.setattr(wrapper, "in_atomic_block", False)
        assert not side.may_share(connection.alias)


@postgresql_only
def test_outside_a_transaction_postgresql_shares_unless_connections_are_not_kept(monkeypatch):
    wrapper = connections[connection.alias]
    with monkeypatch.context() as patched:  # undone before the test's transaction ends
        patched.setattr(wrapper, "in_atomic_block", False)
        assert side.may_share(connection.alias)
        patched.setitem(wrapper.settings_dict, "CONN_MAX_AGE", 0)
        assert not side.may_share(connection.alias)


def test_the_calls_run_in_both_threads_and_come_back_in_order(sharing):
    started = threading.Barrier(2, timeout=5)

    def both(n):
        # Each of the first two calls waits for the other: they can only end if they run at
        # once, in two threads.
        if n < 2:
            started.wait()
        return n, thread_name()

    results = side.run(connection.alias, [lambda n=n: both(n) for n in range(5)])
    assert [n for n, _thread in results] == [0, 1, 2, 3, 4]
    names = {thread for _n, thread in results}
    assert "MainThread" in names
    assert any(name.startswith("search-side") for name in names)


def test_one_call_runs_in_the_callers_thread(sharing):
    assert side.run(connection.alias, [thread_name]) == ["MainThread"]


def test_a_busy_side_thread_is_not_waited_for(sharing):
    """Another thread of the process holds the side thread: the calls run here, in order."""
    with side._lock:
        assert side.run(connection.alias, [thread_name, thread_name]) == ["MainThread"] * 2


def test_an_error_in_either_thread_is_raised_in_the_caller_after_both_ended(sharing):
    ended = []

    def fails():
        raise ValueError("no")

    def slow():
        threading.Event().wait(0.05)
        ended.append(thread_name())
        return 1

    for calls in ([fails, slow], [slow, fails]):
        ended.clear()
        with pytest.raises(ValueError, match="no"):
            side.run(connection.alias, calls)
        assert len(ended) == 1  # the other call had ended when the error was raised
    assert side.run(connection.alias, [slow, slow]) == [1, 1]  # and the side thread still serves


@postgresql_only
def test_the_side_connection_is_kept_between_searches_and_closed_by_close(sharing):
    def backend(both: threading.Barrier):
        both.wait()  # so that each thread takes one of the two calls
        with connections[connection.alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return thread_name(), cursor.fetchone()[0]

    def side_backend():
        both = threading.Barrier(2, timeout=5)
        found = dict(side.run(connection.alias, [lambda: backend(both)] * 2))
        assert found.keys() == {"MainThread", "search-side_0"}
        return found["search-side_0"]

    first = side_backend()
    assert side_backend() == first  # kept
    side.close()
    assert side_backend() != first  # closed, and opened again by the next statement
