"""Every signal receiver of the app, in one place: what a change to the data sets off.

- Any change to catalogue data bumps the catalogue version once its transaction commits, so no
  cached page, card or index built before it is used again (interventions/caching/version.py).
- A change to an entry, its contacts, legal basis or links raises its edit version and refreshes
  its search texts (interventions/changes.py).
- Saving (publishing, withdrawing) or deleting an entry moves its search words' counts.
- A renamed vocabulary term refreshes the search texts of the entries that use it.
Connected when the app is ready (apps.py imports this module).
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from django.apps import apps
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from interventions.caching.version import catalogue_changed
from interventions.changes import NOT_IN_SEARCH_TEXTS, entries_changed, search_texts_stale
from interventions.models import (
    Confirmation,
    Contact,
    Intervention,
    LegalBasis,
    SearchEntry,
    ServedMunicipality,
    refresh_last_confirmed,
)
from interventions.search.documents import SEARCHED_NAMES, searched_fields
from interventions.search.query import forget_vocabulary

CATALOGUE_APP = "interventions"
# The models whose names and aliases the search keeps in memory (search.query.vocabulary()).
VOCABULARY_NAMES = frozenset({"TargetGroup", "PolicyArea", "Method", "Municipality", "Region"})

# --- The catalogue version ------------------------------------------------------------------------


def _is_catalogue(sender) -> bool:
    return getattr(getattr(sender, "_meta", None), "app_label", None) == CATALOGUE_APP


@receiver(post_save, dispatch_uid="catalogue_saved")
@receiver(post_delete, dispatch_uid="catalogue_deleted")
def _on_save_or_delete(sender, **kwargs) -> None:
    if _is_catalogue(sender):  # raw saves too: a restore changes what every page shows
        catalogue_changed()
        if sender.__name__ in VOCABULARY_NAMES:
            forget_vocabulary()  # a name or alias the search looks terms and places up by


@receiver(m2m_changed, dispatch_uid="catalogue_m2m_changed")
def _on_m2m_changed(sender, action, **kwargs) -> None:
    if _is_catalogue(sender) and action.startswith("post_"):
        catalogue_changed()


# --- Entries: edit versions and search texts ------------------------------------------------------


@receiver(post_save, sender=Intervention, dispatch_uid="entry-saved")
def _entry_saved(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    # Intervention.save() raised the version; the texts follow unless only bookkeeping changed.
    if raw:
        instance._loaded_raw = True  # loaddata (restore) saves rows as stored, then sets links
        return
    if update_fields is None or set(update_fields) - NOT_IN_SEARCH_TEXTS:
        search_texts_stale([instance.pk], entry=instance)
    if update_fields is None or "is_published" in update_fields:
        # The search words' counts follow (un)publishing in this transaction (SearchWord).
        SearchEntry.follow_publication(instance.pk, instance.is_published)


@receiver(pre_delete, sender=Intervention, dispatch_uid="entry-deleting")
def _entry_deleting(sender, instance, **kwargs) -> None:
    # Before the cascade: its search words count it no more (SearchWord), in the same transaction.
    SearchEntry.discard([instance.pk])


@receiver(post_save, sender=Contact, dispatch_uid="entry-contact-saved")
@receiver(post_delete, sender=Contact, dispatch_uid="entry-contact-deleted")
def _contact_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        entries_changed([instance.intervention_id], searched=False)  # contacts are not searched


@receiver(post_save, sender=LegalBasis, dispatch_uid="entry-legal-basis-saved")
@receiver(post_delete, sender=LegalBasis, dispatch_uid="entry-legal-basis-deleted")
def _legal_basis_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        entries_changed([instance.intervention_id], searched=True)


@receiver(post_save, sender=ServedMunicipality, dispatch_uid="entry-served-saved")
@receiver(post_delete, sender=ServedMunicipality, dispatch_uid="entry-served-deleted")
def _served_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        entries_changed([instance.intervention_id], searched=True)  # places are searched


@receiver(post_save, sender=Confirmation, dispatch_uid="entry-confirmation-saved")
@receiver(post_delete, sender=Confirmation, dispatch_uid="entry-confirmation-deleted")
def _confirmation_changed(sender, instance, raw=False, **kwargs) -> None:
    # A restore (raw) brings last_confirmed_on back with the entry's own row.
    if not raw:
        refresh_last_confirmed([instance.intervention_id])
        entries_changed([instance.intervention_id], searched=False)


class _Link(NamedTuple):
    entry_column: str  # the through table's column pointing at the entry holding the link
    other_column: str  # ... and at what it links to
    searched: bool  # whether the linked names are part of the entry's search texts
    mutual: bool  # entries linked to entries: both ends changed


@functools.cache
def _links() -> dict[type[models.Model], _Link]:
    """The entry's link tables (known once the app registry is ready)."""
    return {
        m2m.remote_field.through: _Link(
            entry_column=m2m.m2m_field_name(),
            other_column=m2m.m2m_reverse_field_name(),
            searched=m2m.name != "related",
            mutual=m2m.related_model is Intervention,
        )
        for m2m in Intervention._meta.many_to_many
    }


def _linked_entries(sender, instance, reverse: bool) -> set[int]:
    """The entries whose links a `clear()` on `instance` is about to remove."""
    link = _links()[sender]
    if not reverse and not link.mutual:
        return {instance.pk}
    rows = sender.objects.filter(**{link.other_column if reverse else link.entry_column: instance})
    column = link.entry_column if reverse else link.other_column
    found = set(rows.values_list(column, flat=True))
    return found if reverse else found | {instance.pk}


@receiver(m2m_changed, dispatch_uid="entry-links-changed")
def _links_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    link = _links().get(sender)
    if link is None or getattr(instance, "_loaded_raw", False):
        return
    if action == "pre_clear":
        instance._entries_unlinked = _linked_entries(sender, instance, reverse)
        return
    if action == "post_clear":
        pks = instance.__dict__.pop("_entries_unlinked", set())
    elif action in ("post_add", "post_remove"):
        pks = set(pk_set) if reverse else {instance.pk} | (set(pk_set) if link.mutual else set())
    else:
        return
    entries_changed(pks, searched=link.searched)


# --- Renamed vocabulary terms ---------------------------------------------------------------------


def _remember_names(sender, instance, **kwargs) -> None:
    fields, _relation = searched_fields(sender)
    old = sender.objects.filter(pk=instance.pk).values(*fields).first() if instance.pk else None
    instance._searched_names_before = old


def _refresh_when_renamed(sender, instance, created, raw=False, **kwargs) -> None:
    """A renamed vocabulary term changes the search texts of the entries that use it."""
    fields, relation = searched_fields(sender)
    before = getattr(instance, "_searched_names_before", None)
    if created or before is None or all(before[f] == getattr(instance, f) for f in fields):
        return
    entries = Intervention.objects.filter(**{relation: instance}).distinct()
    search_texts_stale(entries.values_list("pk", flat=True))


for _name in SEARCHED_NAMES:
    _model = apps.get_model(CATALOGUE_APP, _name)
    pre_save.connect(_remember_names, sender=_model, dispatch_uid=f"search-before-{_name}")
    post_save.connect(_refresh_when_renamed, sender=_model, dispatch_uid=f"search-after-{_name}")
