"""The texts an entry is searched by, kept in three denormalised columns of the entry.

`build_search_texts` makes them from the entry and its vocabularies: its title (and alternative
titles), its metadata (summary, owner, locator, places, vocabulary names, paragraphs, the source
section) and the set of all its words (metadata, method descriptions, KKR goals, text sections,
and the paragraphs its texts mention as "paragraf85"-style words).
`write_search_texts` stores them when they changed. When to refresh them is not this module's
business: interventions/changes.py does it after every edit, wherever it is made, and
interventions/signals.py when a vocabulary term an entry uses is renamed (`SEARCHED_NAMES`).
"""

from __future__ import annotations

from interventions.models import Intervention, SearchEntry
from interventions.search.hints import forget_lexicon
from interventions.search.query import forget_paragraphs, forget_vocabulary
from interventions.search.text import document_text, paragraph_words, word_set

# The names that go into an entry's search texts, by model, and how entries reach the model.
SEARCHED_NAMES = {
    "Region": ("name", "regions"),
    "Municipality": ("name", "municipalities"),
    "TargetGroup": ("name", "target_groups"),
    "PolicyArea": ("name", "policy_areas"),
    "Method": (("name", "description"), "methods"),
    "KKRGoal": ("text", "kkr_goals"),
    "Law": (("abbreviation", "name"), "legal_paragraphs__law"),
    "LegalParagraph": ("title", "legal_paragraphs"),
    "SourceSection": ("name", "source_section"),
}


def searched_fields(model) -> tuple[tuple[str, ...], str]:
    """The fields of a vocabulary model that entries are searched by, and the entries' relation."""
    fields, relation = SEARCHED_NAMES[model.__name__]
    return ((fields,) if isinstance(fields, str) else fields), relation


def build_search_texts(intervention: Intervention) -> dict[str, str]:
    """The three denormalised texts an entry is searched by: title, metadata and everything."""
    title = [intervention.title, *intervention.alternative_titles]
    meta = [intervention.summary, intervention.organisation, intervention.locator]
    meta += [f"{m.name} Kommune" for m in intervention.municipalities.all()]
    meta += [r.name for r in intervention.regions.all()]
    meta += [t.name for t in intervention.target_groups.all()]
    meta += [p.name for p in intervention.policy_areas.all()]
    methods = list(intervention.methods.all())
    meta += [m.name for m in methods]
    bases = intervention.legal_bases.all()
    if "legal_bases" not in getattr(intervention, "_prefetched_objects_cache", {}):
        bases = bases.select_related("paragraph__law")
    for basis in bases:
        paragraph = basis.paragraph
        meta += [paragraph.label, paragraph.law.name, paragraph.title]
    if intervention.source_section_id:
        meta.append(intervention.source_section.name)
    body = [m.description for m in methods]
    body += [g.text for g in intervention.kkr_goals.all()]
    body += [text for _section, text in intervention.text_sections()]
    # "§ 85" in a text is also the word "paragraf85": a paragraph query finds the entries whose
    # text states it, when their legal basis lacks it.
    mentioned = " ".join(w for text in [intervention.summary, *body] for w in paragraph_words(text))
    return {
        "search_title": document_text(title),
        "search_meta": document_text(meta),
        "search_document": word_set([*title, *meta, *body, mentioned]),
    }


def write_search_texts(entry: Intervention) -> bool:
    """Store the entry's search texts if they changed, and say whether they did.

    Writes only what changed, so reloading an unchanged catalogue writes nothing. The texts are
    copied to the entry's `SearchEntry` (what the search's lookup reads); its words join
    `SearchWord` and are counted there; the paragraph and lexicon caches of this process are
    forgotten.
    """
    texts = build_search_texts(entry)
    changed = {name: text for name, text in texts.items() if getattr(entry, name) != text}
    if changed:
        for name, text in changed.items():
            setattr(entry, name, text)
        Intervention.objects.filter(pk=entry.pk).update(**changed)
        SearchEntry.store([entry])  # and its words, with their counts (`SearchWord`)
        forget_caches()
    return bool(changed)


def forget_caches() -> None:
    """Forget this process's cached paragraphs, lexicon, vocabulary names and places."""
    forget_paragraphs()
    forget_lexicon()
    forget_vocabulary()
