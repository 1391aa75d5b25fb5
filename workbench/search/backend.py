"""The small interface between the search service and a search engine.

The service (workbench.search.services) talks to the engine only through `SearchBackend`:
`index` (add or replace documents, remove others; `batch` holds the one writer across a read
of the database and the write), `search` (ranked references, filtered by scope), `highlight`
(marked-up title and snippet of a few hits) and `rebuild` (replace every document of some
types). Whoosh in the data directory is the embedded default
(workbench.search.whoosh_backend); a cluster engine (Elasticsearch, OpenSearch, Meilisearch…)
replaces it by implementing this class and naming it in WORKBENCH_SEARCH_BACKEND.

What crosses the interface is plain data: documents are `IndexDocument`s, the reader's scope
is a `ScopeFilter`, results are `Hit`s. The backend never sees a database record, a request
or a user, so it cannot show anything by itself: the service re-checks every hit against the
database before a title is shown.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import NamedTuple
from typing import Iterable, Protocol


def make_ref(source_key: str, record_id: int) -> str:
    """The document id: `<source key>:<record id>` (customer:42)."""
    return f"{source_key}:{record_id}"


def split_ref(ref: str) -> tuple[str, int]:
    source_key, _, record_id = ref.rpartition(":")
    return source_key, int(record_id)


@dataclass(frozen=True)
class IndexDocument:
    """One record as the index sees it.

    `title` is shown and searched with a boost; `body` is searched and gives the snippet;
    `keywords` is searched, never shown (codes, numbers, other names); `pinyin` holds
    spellings from analysis.pinyin_keys; `detail` is a short stored line shown under the
    title. `owner_id` / `unit_path` let the engine pre-filter by scope; `public` documents
    (of models without an owner) pass that pre-filter for everyone.
    """

    ref: str
    type: str
    title: str
    body: str = ""
    keywords: str = ""
    pinyin: str = ""
    detail: str = ""
    owner_id: int | None = None
    unit_path: str | None = None
    public: bool = False
    # Keyword terms a search can filter on, each "name=value" (space=business, tag=5): exact,
    # never analysed, never ranked. A source fills them from its document's "facets".
    facets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopeFilter:
    """Which documents a reader may possibly see: `everything`, or those owned by
    `owner_id`, or (when `unit_path` is set) those of that unit and below, plus public ones.
    A pre-filter only: the database decides in the end."""

    everything: bool = False
    owner_id: int | None = None
    unit_path: str | None = None

    @classmethod
    def from_scope(cls, scope) -> "ScopeFilter":
        """From a workbench.org.scope.Scope (level none/own/unit/all)."""
        if scope.level == "all":
            return cls(everything=True)
        if scope.level == "unit":
            return cls(owner_id=scope.user_id, unit_path=scope.unit_path)
        if scope.level == "own":
            return cls(owner_id=scope.user_id)
        return cls()  # no scope: public documents only


@dataclass(frozen=True)
class SearchQuery:
    """What to look for. `text` is the user's words as typed (each backend analyses them
    its own way); `types` limits the document types (None: all); `prefix` makes the last
    word match as a prefix (autocomplete); `limit` caps the hits returned. `filters` keeps
    only documents carrying, for every (name, values) pair, one of the facet terms
    name=value (AND across names, OR within a name's values)."""

    text: str
    scope: ScopeFilter
    types: tuple[str, ...] | None = None
    prefix: bool = False
    limit: int = 1000
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()


class Hit(NamedTuple):
    """One ranked document. A named tuple, not a dataclass: a search makes up to a thousand
    of them, and a tuple is made several times faster."""

    ref: str
    type: str
    record_id: int
    score: float


@dataclass(frozen=True)
class Highlight:
    """HTML: the stored text escaped, with matched words in <mark>…</mark>."""

    title_html: str
    snippet_html: str
    title: str = ""
    detail: str = ""


@dataclass
class IndexStats:
    """What a rebuild did: documents written per type."""

    written: dict[str, int] = field(default_factory=dict)


class IndexBusy(RuntimeError):
    """Another writer held the index for longer than the lock timeout; try again later."""


class IndexBatch(Protocol):
    def index(self, documents: Iterable[IndexDocument], delete: Iterable[str] = ()) -> None:
        """Add or replace `documents` (by ref) and remove the refs in `delete`; the last
        word on a ref within the batch wins."""


class SearchBackend(ABC):
    """An index of IndexDocuments with at most one writer at a time.

    Implementations must be safe to call from several threads and processes: writes are
    serialised (Whoosh: a lock with a timeout), reads never block writes.
    """

    @abstractmethod
    def batch(self) -> AbstractContextManager[IndexBatch]:
        """Hold the one writer for a block: what the block adds through the yielded
        IndexBatch is written when it ends, and nothing if it raises."""

    def index(self, documents: Iterable[IndexDocument], delete: Iterable[str] = ()) -> None:
        """Add or replace `documents` (by ref) and remove the refs in `delete`, in one write."""
        with self.batch() as batch:
            batch.index(documents, delete)

    def delete(self, refs: Iterable[str]) -> None:
        self.index((), delete=refs)

    @abstractmethod
    def search(self, query: SearchQuery) -> list[Hit]:
        """The best hits for `query`, best first, at most `query.limit`."""

    @abstractmethod
    def highlight(self, text: str, refs: list[str]) -> dict[str, Highlight]:
        """Marked-up title and snippet for each ref still in the index."""

    @abstractmethod
    def rebuild(self, documents: Iterable[IndexDocument], types: Iterable[str] | None = None) -> IndexStats:
        """Replace every document of `types` (None: the whole index) with `documents`."""

    @abstractmethod
    def count(self, type: str | None = None) -> int:
        """Documents in the index (of one type)."""


def load_backend(app) -> SearchBackend:
    """The backend WORKBENCH_SEARCH_BACKEND names (`module:Class`), built with the app."""
    target = app.config["WORKBENCH_SEARCH_BACKEND"]
    module_name, _, class_name = target.partition(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    return backend_class.from_app(app)
