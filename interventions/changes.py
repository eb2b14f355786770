"""How an edit propagates: every change to an entry raises its edit version and refreshes its
search texts, wherever it is made (the admin, a history revert, the loader, the shell).

An entry is edited through its own fields, its contacts and legal basis rows, and its links to
vocabularies and related entries. The receivers in interventions/signals.py call `entries_changed`
and `search_texts_stale` for each; the admin refuses a save from a form opened at an older version
(interventions/conflicts.py). `collect_entry_changes()` batches them: an admin save or a load
writes one entry in many steps, and its version and texts are dealt with once, at the end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

from interventions.models import Intervention
from interventions.search.documents import write_search_texts

# Fields an `update_fields` save may write without the search texts changing (admin actions).
NOT_IN_SEARCH_TEXTS = frozenset(
    {"is_published", "reviewed_on", "responsible_editor", "updated_at", "edit_version"}
)


@dataclasses.dataclass
class _Pending:
    versions: set[int] = dataclasses.field(default_factory=set)
    search: set[int] = dataclasses.field(default_factory=set)


_batch: ContextVar[_Pending | None] = ContextVar("entry_changes", default=None)


@contextmanager
def collect_entry_changes() -> Iterator[None]:
    """Within the block, raise each changed entry's version and refresh its search texts once.

    An admin save or a catalogue load writes an entry's fields, then its links one field at a
    time, then its contact and legal basis rows; each write would otherwise refresh the search
    texts again. Inside this block they are noted, and dealt with once when it ends (not when it
    ends with an error: its transaction is being rolled back). An entry whose texts are refreshed
    explicitly inside the block is not refreshed again unless it changes after that.
    """
    if _batch.get() is not None:  # nested: the outermost block does the work
        yield
        return
    pending = _Pending()
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if pending.versions:
        Intervention.objects.filter(pk__in=pending.versions).update(
            edit_version=models.F("edit_version") + 1
        )
    if pending.search:
        for entry in Intervention.objects.filter(pk__in=pending.search).with_relations():
            refresh_search_texts(entry)


def search_texts_stale(pks: Iterable[int], entry: Intervention | None = None) -> None:
    """These entries' search texts may be out of date: refresh them now or at the batch's end."""
    pks = {pk for pk in pks if pk is not None}
    pending = _batch.get()
    if pending is not None:
        pending.search |= pks
    elif entry is not None and pks == {entry.pk}:
        refresh_search_texts(entry)
    elif pks:
        for stale in Intervention.objects.filter(pk__in=pks).with_relations():
            refresh_search_texts(stale)


def entries_changed(pks: Iterable[int], *, searched: bool) -> None:
    """Something of these entries changed outside their own row: raise their versions."""
    pks = {pk for pk in pks if pk is not None}
    if not pks:
        return
    pending = _batch.get()
    if pending is not None:
        pending.versions |= pks
    else:
        Intervention.objects.filter(pk__in=pks).update(edit_version=models.F("edit_version") + 1)
    if searched:
        search_texts_stale(pks)


def refresh_search_texts(entry: Intervention) -> bool:
    """Refresh the entry's search texts now (and not again at the batch's end unless it changes
    again); say whether they changed."""
    pending = _batch.get()
    if pending is not None:
        pending.search.discard(entry.pk)
    return write_search_texts(entry)
