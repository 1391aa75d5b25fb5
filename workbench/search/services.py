"""Global search as the reader sees it: the query is cleaned, the backend ranks documents
pre-filtered by the reader's scope, and then **the database decides**: every hit is checked
against its record under the central data-scope rule before its title, snippet or even its
count is used. A stale index (a customer handed to someone else a moment ago) can therefore
hide a result for a moment, but never show one.

No request objects here; views and the API are thin wrappers (tested without HTTP).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from workbench.contracts import SearchSource
from workbench.errors import ServiceError
from workbench.extensions import db
from workbench.org.scope import current_scope
from workbench.search import indexing
from workbench.search.analysis import query_words
from workbench.search.backend import Hit, ScopeFilter, SearchQuery

CHECK_BATCH = 1000
GROUP_SIZE = 5

EMPTY_QUERY = _l("Type what you are looking for: a customer name, a code, words of a text, "
                 "or pinyin initials such as hwjs.")


@dataclass
class TypeCount:
    source: SearchSource
    count: int


@dataclass
class ResultItem:
    """One result ready to show. The HTML parts are escaped text with <mark> around matches."""

    source: SearchSource
    record_id: int
    url: str
    title_html: Markup
    snippet_html: Markup
    title: str
    detail: str = ""


@dataclass
class ResultPage:
    """A page of results; has what the `pager` macro reads."""

    items: list[ResultItem]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass
class SearchOutcome:
    """What one search found for one reader: the visible hits (best first) and the counts
    per type, all after the database check. `notices` are messages for the reader."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    counts: list[TypeCount] = field(default_factory=list)
    notices: list = field(default_factory=list)
    searched: bool = False
    capped: bool = False

    @property
    def total(self) -> int:
        return len(self.hits)

    def hits_of(self, type_key: str | None) -> list[Hit]:
        return self.hits if type_key is None else [hit for hit in self.hits if hit.type == type_key]


def sources_for(user) -> dict[str, SearchSource]:
    """The document types `user` may search, in display order."""
    return {key: source for key, source in indexing.state().sources.items()
            if source.permission is None or user.can(source.permission)}


def check_type(user, type_key: str | None) -> SearchSource | None:
    """The source named `type_key`; ServiceError for a type the user cannot search."""
    if not type_key:
        return None
    source = sources_for(user).get(type_key)
    if source is None:
        raise ServiceError(_l("There is no result type “%(type)s”.", type=type_key[:40]), field="type")
    return source


def clean_query(text: str | None) -> tuple[str, list]:
    """The query as it will be searched (trimmed, capped) and notices about what was done."""
    text = " ".join((text or "").split())
    limit = current_app.config["WORKBENCH_SEARCH_MAX_QUERY_LENGTH"]
    notices = []
    if len(text) > limit:
        text = text[:limit]
        notices.append(_l("Only the first %(count)d characters were searched.", count=limit))
    return text, notices


def _visible_ids(source: SearchSource, ids: list[int]) -> set[int]:
    """The ids among `ids` the current reader may see, asked of the database (the central
    scope rule applies to these SELECTs like to any other).

    Usually all of them are: then one count answers, without a row per id to read and
    convert (a thousand hits cost a few milliseconds that way); only when some are not
    visible (a stale index, records out of scope) are the visible ids read."""
    model = source.model
    chunks = [ids[start:start + CHECK_BATCH] for start in range(0, len(ids), CHECK_BATCH)]
    visible: set[int] = set()
    for chunk in chunks:
        counted = select(func.count(model.id)).where(model.id.in_(chunk))
        if source.query:
            counted = source.query(counted)
        if db.session.execute(counted).scalar_one() == len(set(chunk)):
            visible.update(chunk)
            continue
        statement = select(model.id).where(model.id.in_(chunk))
        if source.query:
            statement = source.query(statement)
        visible.update(db.session.execute(statement).scalars())
    return visible


def visible_hits(hits: list[Hit], sources: dict[str, SearchSource]) -> list[Hit]:
    """`hits` whose records exist, pass their source's query and are in the reader's scope."""
    ids_by_type: dict[str, list[int]] = {}
    for hit in hits:
        if hit.type in sources:
            ids_by_type.setdefault(hit.type, []).append(hit.record_id)
    visible = {key: _visible_ids(sources[key], ids) for key, ids in ids_by_type.items()}
    return [hit for hit in hits if hit.record_id in visible.get(hit.type, ())]


def search(user, text: str | None, type_key: str | None = None) -> SearchOutcome:
    """Search everything `user` may search. `type_key` is only validated here (the counts
    of every type are needed for the type filter); pick the hits of one type with
    `outcome.hits_of(type_key)`."""
    sources = sources_for(user)
    check_type(user, type_key)
    query, notices = clean_query(text)
    outcome = SearchOutcome(query=query, notices=notices)
    if not query:
        outcome.notices = [EMPTY_QUERY]
        return outcome
    if not query_words(query):
        outcome.notices.append(_l("“%(query)s” has no words to search for: use letters, digits or "
                                  "Chinese words.", query=query[:40]))
        return outcome
    limit = current_app.config["WORKBENCH_SEARCH_MAX_HITS"]
    hits = indexing.backend().search(SearchQuery(
        text=query, scope=ScopeFilter.from_scope(current_scope()), types=tuple(sources), limit=limit))
    outcome.searched = True
    outcome.capped = len(hits) >= limit
    outcome.hits = visible_hits(hits, sources)
    per_type: dict[str, int] = {}
    for hit in outcome.hits:
        per_type[hit.type] = per_type.get(hit.type, 0) + 1
    outcome.counts = [TypeCount(source, per_type.get(key, 0)) for key, source in sources.items()]
    if outcome.capped:
        outcome.notices.append(_l("Only the best %(count)d matches are counted; add a word to narrow "
                                  "the search.", count=limit))
    return outcome


def search_type(user, text: str | None, type_key: str,
                filters: dict[str, list] | None = None) -> SearchOutcome:
    """Search one document type, optionally keeping only documents whose facets match
    `filters` ({"space": ["business"], "tag": [3]}: AND across names, OR within one). The
    hits are checked against the database like `search`'s; a source can then sort them by
    its own columns (newest, most useful) before `present`ing a page."""
    source = check_type(user, type_key)
    if source is None:
        raise ServiceError(_l("Say which type of record to search."), field="type")
    query, notices = clean_query(text)
    outcome = SearchOutcome(query=query, notices=notices)
    if not query or not query_words(query):
        return outcome
    limit = current_app.config["WORKBENCH_SEARCH_MAX_HITS"]
    filter_pairs = tuple((name, tuple(str(value).replace(" ", "_") for value in values))
                         for name, values in (filters or {}).items() if values)
    hits = indexing.backend().search(SearchQuery(
        text=query, scope=ScopeFilter.from_scope(current_scope()), types=(source.key,), limit=limit,
        filters=filter_pairs))
    outcome.searched = True
    outcome.capped = len(hits) >= limit
    outcome.hits = visible_hits(hits, {source.key: source})
    outcome.counts = [TypeCount(source, len(outcome.hits))]
    return outcome


def present(query: str, hits: list[Hit]) -> list[ResultItem]:
    """Result items for `hits` (already checked): highlights from the index, links from the
    records, which are read again under the reader's scope (so none slips through)."""
    if not hits:
        return []
    sources = indexing.state().sources
    records: dict[tuple[str, int], object] = {}
    ids_by_type: dict[str, list[int]] = {}
    for hit in hits:
        ids_by_type.setdefault(hit.type, []).append(hit.record_id)
    for key, ids in ids_by_type.items():
        source = sources[key]
        statement = indexing.source_statement(source).where(source.model.id.in_(ids))
        for record in db.session.execute(statement).unique().scalars():
            records[(key, record.id)] = record
    highlights = indexing.backend().highlight(query, [hit.ref for hit in hits])
    items = []
    for hit in hits:
        record = records.get((hit.type, hit.record_id))
        marked = highlights.get(hit.ref)
        if record is None or marked is None:
            continue
        source = sources[hit.type]
        items.append(ResultItem(
            source=source, record_id=hit.record_id, url=source.url(record),
            title_html=Markup(marked.title_html), snippet_html=Markup(marked.snippet_html),
            title=marked.title, detail=marked.detail,
        ))
    return items


def result_page(outcome: SearchOutcome, type_key: str | None, page: int, per_page: int) -> ResultPage:
    hits = outcome.hits_of(type_key)
    page = max(1, page)
    chosen = hits[(page - 1) * per_page: page * per_page]
    return ResultPage(items=present(outcome.query, chosen), page=page, per_page=per_page, total=len(hits))


def groups(outcome: SearchOutcome, size: int = GROUP_SIZE) -> list[tuple[TypeCount, list[ResultItem]]]:
    """The best `size` results of each type that has any, types in their display order."""
    chosen = {count.source.key: outcome.hits_of(count.source.key)[:size] for count in outcome.counts if count.count}
    items = present(outcome.query, [hit for hits in chosen.values() for hit in hits])
    by_type: dict[str, list[ResultItem]] = {}
    for item in items:
        by_type.setdefault(item.source.key, []).append(item)
    return [(count, by_type.get(count.source.key, [])) for count in outcome.counts if count.count]


def suggest(user, text: str | None, type_key: str | None, limit: int = 10) -> list[ResultItem]:
    """Autocomplete: records of one type whose words start with what was typed (the last
    word as a prefix), visible to `user`, best first. Nothing for an empty text."""
    if not type_key:
        raise ServiceError(_l("Say which type of record to suggest."), field="type")
    source = check_type(user, type_key)
    query, _notices = clean_query(text)
    if not query or not query_words(query):
        return []
    hits = indexing.backend().search(SearchQuery(
        text=query, scope=ScopeFilter.from_scope(current_scope()), types=(source.key,), prefix=True,
        limit=max(limit * 5, 50)))
    return present(query, visible_hits(hits, {source.key: source})[:limit])
