"""The embedded search engine: a Whoosh index in WORKBENCH_SEARCH_DIR (DATA_DIR/search).

One writer, always. Whoosh allows one writer per index and fails a second with LockError;
here every write (index, delete, rebuild) takes, in order,
  1. a lock shared by the threads of this process (so they queue instead of polling), and
  2. Whoosh's own write lock, an flock() on a file in the index folder, waiting up to
     WORKBENCH_SEARCH_LOCK_TIMEOUT seconds,
so a second process (a CLI rebuild while the worker indexes) waits its turn and an index is
never corrupted. Only on timeout does a write fail (`IndexBusy`); the job that asked for it
is then retried by the jobs runner.

Reads never block: each search borrows a searcher from a small pool and refreshes it when a
writer has committed since, so a search right after a commit sees the change.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from markupsafe import escape
from whoosh import index as whoosh_index
from whoosh import writing
from whoosh.analysis import NgramFilter, RegexTokenizer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.query import And, ConstantScoreQuery, Or, Prefix, Term
from whoosh.system import pack_uint
from whoosh.util import now as whoosh_now

from workbench.search.analysis import (
    PINYIN_MAX_LENGTH, chinese_analyzer, query_words, sub_words, word_counts,
)
from workbench.search.highlighting import mark_all, opening, passages, term_pattern
from workbench.search.posting_arrays import DEFAULT_CACHE_POSTINGS, Plan, PostingCache, RankedMatcher, TermKey
from workbench.search.backend import (
    Highlight, Hit, IndexBusy, IndexDocument, IndexStats, SearchBackend, SearchQuery, make_ref,
)

log = logging.getLogger(__name__)

# Bump when the schema changes: the new name starts an empty index beside the old one, and
# `workbench search rebuild` fills it.
INDEX_NAME = "workbench_v2"
SNIPPET_CHARACTERS = 160
PUBLIC = "1"


# A word of the title counts this many times an occurrence in the body (ranking).
TITLE_WEIGHT = 3


class SegmentedText(TEXT):
    """The searchable text of a document: title and body in one field, the title's words
    weighing TITLE_WEIGHT times more. One field means one posting per word and document and
    one term to look up per query word.

    It indexes from `analysis.word_counts` — the very terms its analyzer yields (a
    test keeps them equal), without a Token object per word — so indexing costs little more
    than jieba's segmentation itself. The analyzer is still what highlighting uses.
    """

    def index(self, value, **kwargs):
        title, body = value if isinstance(value, tuple) else ("", value)
        body_counts = word_counts(body)
        title_counts = word_counts(title) if title else {}
        boost = self.format.field_boost
        postings = []
        for word in body_counts.keys() | title_counts.keys():
            in_title, in_body = title_counts.get(word, 0), body_counts.get(word, 0)
            frequency = in_title + in_body
            postings.append((word.encode("utf-8"), frequency, (TITLE_WEIGHT * in_title + in_body) * boost,
                             pack_uint(frequency)))
        return postings


class Key(ID):
    """An ID field indexed without the analyzer round trip: one term, the value itself."""

    def index(self, value, **kwargs):
        return [(value.encode("utf-8"), 1, self.format.field_boost, b"")]


class Keys(ID):
    """Several ID terms in one field, given space-separated."""

    def index(self, value, **kwargs):
        return [(term.encode("utf-8"), 1, self.format.field_boost, b"") for term in set(value.split())]


def unit_and_ancestors(path: str) -> list[str]:
    """/1/4/17/ → /1/, /1/4/, /1/4/17/: a document is in each of these units' scope."""
    parts = [part for part in path.split("/") if part]
    return ["/" + "/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]


def build_schema() -> Schema:
    text = chinese_analyzer()
    pinyin = RegexTokenizer(r"[a-z0-9]+") | NgramFilter(minsize=2, maxsize=PINYIN_MAX_LENGTH, at="start")
    return Schema(
        ref=Key(stored=True, unique=True, sortable=True),
        type=Key(stored=True),
        title=STORED(),
        # (title, body + keywords), analysed once; `title` and `text` keep what is shown.
        content=SegmentedText(analyzer=text, phrase=False),
        text=STORED(),
        detail=STORED(),
        pinyin=TEXT(analyzer=pinyin, phrase=False, field_boost=1.5),
        owner=Key(),
        unit=Keys(),  # the path of the record's unit and of every unit above it
        public=Key(),
        facet=Keys(),  # "name=value" filter terms (space=business, tag=5)
    )


class _RememberedLengths:
    """Field lengths of the segment being written, each read once.

    Whoosh looks a document's field length up again for every posting it writes at commit
    (a file read each time): about a third of a bulk commit. The lengths do not change while
    the segment is written, so one read per (document, field) is enough.
    """

    def __init__(self, lengths):
        self._lengths = lengths
        self._known: dict = {}

    def doc_field_length(self, docnum, fieldname, default=0):
        key = (docnum, fieldname)
        try:
            return self._known[key]
        except KeyError:
            length = self._known[key] = self._lengths.doc_field_length(docnum, fieldname, default)
            return length

    def __getattr__(self, name):
        return getattr(self._lengths, name)


def _speed_up(writer) -> None:
    """Two savings on a new Whoosh 2.7 SegmentWriter, both on its own instance: the lean
    posting pool, and field lengths read once per document at commit."""
    if type(getattr(writer, "pool", None)) is writing.PostingPool:
        writer.pool.__class__ = _LeanPool
    field_writer = getattr(writer, "fieldwriter", None)
    if field_writer is None:
        return
    add_postings = field_writer.add_postings

    def add_postings_with_remembered_lengths(schema, lengths, items):
        return add_postings(schema, _RememberedLengths(lengths) if lengths else lengths, items)

    field_writer.add_postings = add_postings_with_remembered_lengths


class _LeanPool(writing.PostingPool):
    """Whoosh's posting pool without its per-posting type assertions (our postings come from
    our own fields) and with a cheaper size estimate: bulk indexing adds a hundred postings
    per document. (Whoosh 2.7 ignores its `poolclass` argument, hence `_speed_up`.)"""

    def add(self, item):
        self.fieldnames.add(item[0])
        self.currentsize += 150 + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)


class _Write:
    """An open Whoosh writer and whether to commit it."""

    def __init__(self, writer):
        self.writer = writer
        self.commit = True


class _Batch:
    """What a batch will write. Whoosh replaces by unique field only among committed
    documents, so the batch keeps one version per ref and writes them together at the end."""

    def __init__(self):
        self.documents: dict[str, IndexDocument] = {}
        self.deleted: set[str] = set()

    def index(self, documents: Iterable[IndexDocument], delete: Iterable[str] = ()) -> None:
        for document in documents:
            self.documents[document.ref] = document
            self.deleted.discard(document.ref)
        for ref in delete:
            self.documents.pop(ref, None)
            self.deleted.add(ref)


class _SearcherPool:
    """A few open searchers reused across requests of any thread, each refreshed when the
    index changed since it was opened."""

    def __init__(self, open_index, size: int = 4):
        self._open_index = open_index
        self._size = size
        self._idle: list = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    @contextlib.contextmanager
    def searcher(self):
        searcher = None
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's searchers are not ours to use
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                searcher = self._idle.pop()
        if searcher is not None and not searcher.up_to_date():
            searcher.close()
            searcher = None
        if searcher is None:
            searcher = self._open_index().searcher()
        try:
            yield searcher
        finally:
            with self._lock:
                keep = len(self._idle) < self._size
                if keep:
                    self._idle.append(searcher)
            if not keep:
                searcher.close()

    def clear(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for searcher in idle:
            searcher.close()


# One lock per index folder for all backends of this process (tests create many apps).
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


class WhooshBackend(SearchBackend):
    def __init__(self, path: str | os.PathLike, lock_timeout: float = 120.0, rebuild_memory_mb: int = 512,
                 ranked_arrays: bool = True, cache_postings: int = DEFAULT_CACHE_POSTINGS):
        self.path = str(Path(path).resolve())
        # Ranked searches are evaluated over cached posting arrays (posting_arrays), not by
        # Whoosh's matchers: the same results at a fraction of the cost. False: Whoosh's way.
        self.ranked_arrays = ranked_arrays
        self._ranked = RankedMatcher(PostingCache(cache_postings))
        self.lock_timeout = lock_timeout
        # Postings a rebuild sorts in memory before Whoosh spills them to temporary files and
        # merges those (which costs as much again as the rest of the indexing).
        self.rebuild_memory_mb = rebuild_memory_mb
        self.schema = build_schema()
        self._index = None
        self._open_lock = threading.Lock()
        self._pool = _SearcherPool(self._open)

    @classmethod
    def from_app(cls, app) -> "WhooshBackend":
        path = app.config.get("WORKBENCH_SEARCH_DIR") or str(Path(app.config["DATA_DIR"]) / "search")
        return cls(path, lock_timeout=float(app.config["WORKBENCH_SEARCH_LOCK_TIMEOUT"]),
                   rebuild_memory_mb=int(app.config["WORKBENCH_SEARCH_REBUILD_MB"]),
                   cache_postings=int(app.config["WORKBENCH_SEARCH_CACHE_POSTINGS"]))

    # --- the index files ---------------------------------------------------------------------

    def _open(self):
        if self._index is None:
            with self._open_lock:
                if self._index is None:
                    self._index = self._open_or_create()
        return self._index

    def _open_or_create(self):
        storage = FileStorage(self.path)
        storage.create()  # the folder, if missing
        if not whoosh_index.exists(storage, indexname=INDEX_NAME):
            # Creating takes the write lock too, so two processes starting at once do not
            # both write the first table of contents.
            with self._locked(storage.lock(f"{INDEX_NAME}_WRITELOCK")):
                if not whoosh_index.exists(storage, indexname=INDEX_NAME):
                    log.info("creating the search index in %s", self.path)
                    return storage.create_index(self.schema, indexname=INDEX_NAME)
        return storage.open_index(indexname=INDEX_NAME)

    @contextlib.contextmanager
    def _locked(self, file_lock) -> Iterator[None]:
        deadline = whoosh_now() + self.lock_timeout
        while not file_lock.acquire():
            if whoosh_now() > deadline:
                raise IndexBusy(f"the search index {self.path} stayed locked for {self.lock_timeout:.0f} s")
            time.sleep(0.05)
        try:
            yield
        finally:
            file_lock.release()

    @contextlib.contextmanager
    def _writer(self, clear: bool = False, **options) -> Iterator[_Write]:
        """The one writer: this process's lock, then Whoosh's file lock, both with the timeout.
        Commits when the block ends (unless it set `commit` False), discards all if it raises."""
        process_lock = _process_lock(self.path)
        started = whoosh_now()
        if not process_lock.acquire(timeout=self.lock_timeout):
            raise IndexBusy(f"another thread held the search index {self.path} for {self.lock_timeout:.0f} s")
        try:
            remaining = max(0.1, self.lock_timeout - (whoosh_now() - started))
            try:
                writer = self._open().writer(timeout=remaining, delay=0.05, **options)
            except LockError as error:
                raise IndexBusy(f"another process held the search index {self.path} "
                                f"for {self.lock_timeout:.0f} s") from error
            _speed_up(writer)
            write = _Write(writer)
            try:
                yield write
            except BaseException:
                writer.cancel()
                raise
            if write.commit:
                writer.commit(mergetype=writing.CLEAR if clear else None)
            else:
                writer.cancel()
        finally:
            process_lock.release()

    # --- writing -----------------------------------------------------------------------------

    @staticmethod
    def _fields(document: IndexDocument) -> dict:
        """Whoosh fields of a document; empty ones are left out (nothing to index)."""
        fields = {
            "ref": document.ref,
            "type": document.type,
            "title": document.title,
            "content": (document.title,
                        f"{document.body}\n{document.keywords}" if document.keywords else document.body),
            "text": document.body,
            "detail": document.detail,
            "pinyin": document.pinyin,
            "owner": str(document.owner_id) if document.owner_id is not None else "",
            "unit": " ".join(unit_and_ancestors(document.unit_path)) if document.unit_path else "",
            "public": PUBLIC if document.public else "",
            "facet": " ".join(document.facets),
        }
        return {name: value for name, value in fields.items() if value != ""}

    @contextlib.contextmanager
    def batch(self) -> Iterator[_Batch]:
        # A bulk update (a scan's 20,000 new warnings in one job) sorts as many postings as a
        # rebuild: with Whoosh's default 128 MB it spills and merges, which doubled its time.
        # The limit is a ceiling, so small batches use no more memory than before.
        with self._writer(limitmb=self.rebuild_memory_mb) as write:
            pending = _Batch()
            yield pending
            if not pending.documents and not pending.deleted:
                write.commit = False  # nothing to write: no new index generation
                return
            for ref in pending.deleted:
                write.writer.delete_by_term("ref", ref)
            for document in pending.documents.values():
                write.writer.update_document(**self._fields(document))

    def rebuild(self, documents: Iterable[IndexDocument], types: Iterable[str] | None = None) -> IndexStats:
        stats = IndexStats()
        written: Counter = Counter()
        types = None if types is None else list(types)
        with self._writer(clear=types is None, limitmb=self.rebuild_memory_mb) as write:
            for type_key in types or ():
                write.writer.delete_by_term("type", type_key)
            for document in documents:
                write.writer.add_document(**self._fields(document))
                written[document.type] += 1
        stats.written = dict(written)
        return stats

    # --- reading -----------------------------------------------------------------------------

    def count(self, type: str | None = None) -> int:
        with self._pool.searcher() as searcher:
            if type is None:
                return searcher.doc_count()
            return sum(1 for _docnum in searcher.docs_for_query(Term("type", type)))

    @staticmethod
    def _word_alternatives(word: str) -> tuple[tuple[TermKey, ...], ...]:
        """The ways one query word is found: the word itself; for a word of four or more
        characters also all of its dictionary sub-words together (texts hold only the two-
        and three-character words inside a long word); for letters, also the pinyin."""
        alternatives = [(TermKey("content", word),)]
        if len(word) >= 4:
            parts = sub_words(word)
            if parts:
                alternatives.append(tuple(TermKey("content", part) for part in parts))
        if word.isascii() and word.isalnum() and not word.isdigit() and len(word) >= 2:
            alternatives.append((TermKey("pinyin", word[:PINYIN_MAX_LENGTH]),))
        return tuple(alternatives)

    def _word_query(self, word: str, as_prefix: bool):
        """One query word as a Whoosh query (the word itself a prefix when completing)."""
        alternatives = []
        for number, terms in enumerate(self._word_alternatives(word)):
            if number == 0 and as_prefix:
                alternatives.append(Prefix(terms[0].field, terms[0].text))
            elif len(terms) == 1:
                alternatives.append(Term(terms[0].field, terms[0].text))
            else:
                alternatives.append(And([Term(term.field, term.text) for term in terms]))
        return alternatives[0] if len(alternatives) == 1 else Or(alternatives)

    def _word_clauses(self, query: SearchQuery) -> list:
        words = query_words(query.text)
        last = len(words) - 1
        return [self._word_query(word, query.prefix and n == last) for n, word in enumerate(words)]

    @staticmethod
    def _public_types(searcher) -> set:
        """Types every document of which is public (published knowledge): for them the scope
        pre-filter lets everything through and is left out, so a reader's search does not
        intersect with every document. Worked out once per searcher (index generation)."""
        known = getattr(searcher, "_workbench_public_types", None)
        if known is None:
            reader = searcher.reader()
            known = set()
            public = reader.doc_frequency("public", PUBLIC)
            if public:
                for type_key in reader.field_terms("type"):
                    total = reader.doc_frequency("type", type_key)
                    if total <= public and searcher.doc_count_all() and sum(
                            1 for _ in searcher.docs_for_query(And([Term("type", type_key),
                                                                    Term("public", PUBLIC)]))) == total:
                        known.add(type_key)
            searcher._workbench_public_types = known
        return known

    @staticmethod
    def _filter_terms(reader, query: SearchQuery, public_types: set | None = None) -> list | None:
        """The scope pre-filter, the types and the facet filters, each an OR of terms that
        decides what may match, never the order; None when nothing at all may match. Each
        part is one term: a document carries its unit's path and each ancestor's, making
        "this unit and below" one term too."""
        filters = []
        scope = query.scope
        all_public = bool(query.types) and public_types is not None and set(query.types) <= public_types
        if not scope.everything and not all_public:
            allowed = [TermKey("public", PUBLIC)]
            if scope.owner_id is not None:
                allowed.append(TermKey("owner", str(scope.owner_id)))
            if scope.unit_path:
                allowed.append(TermKey("unit", scope.unit_path))
            allowed = [term for term in allowed if reader.doc_frequency(term.field, term.text)]
            if not allowed:
                return None
            filters.append(tuple(allowed))
        if query.types is not None:
            present = set(reader.field_terms("type"))
            if not present <= set(query.types):
                wanted = [TermKey("type", key) for key in query.types if key in present]
                if not wanted:
                    return None
                filters.append(tuple(wanted))
        for name, values in query.filters:
            wanted = [TermKey("facet", f"{name}={value}") for value in values
                      if reader.doc_frequency("facet", f"{name}={value}")]
            if not wanted:
                return None
            filters.append(tuple(wanted))
        return filters

    def _filter_clauses(self, reader, query: SearchQuery, public_types: set | None = None) -> list | None:
        """The filters as Whoosh queries scoring a constant (Whoosh intersects starting from
        the smallest posting list, so an account manager's search walks only their own
        documents)."""
        filters = self._filter_terms(reader, query, public_types)
        if filters is None:
            return None
        clauses = []
        for terms in filters:
            queries = [Term(term.field, term.text) for term in terms]
            clauses.append(ConstantScoreQuery(queries[0] if len(queries) == 1 else Or(queries)))
        return clauses

    def ranked_plan(self, query: SearchQuery, reader, public_types: set | None = None) -> Plan | None:
        """`query` for the array evaluation (posting_arrays); None when nothing may match."""
        words = query_words(query.text)
        if not words:
            return None
        filters = self._filter_terms(reader, query, public_types)
        if filters is None:
            return None
        return Plan(words=tuple(self._word_alternatives(word) for word in words), filters=tuple(filters))

    def build_query(self, query: SearchQuery, reader, public_types: set | None = None):
        """The Whoosh query for `query`, or None when its text has no words or nothing may
        match its scope and types."""
        words = self._word_clauses(query)
        if not words:
            return None
        filters = self._filter_clauses(reader, query, public_types)
        if filters is None:
            return None
        clauses = words + filters
        return clauses[0] if len(clauses) == 1 else And(clauses)

    def search(self, query: SearchQuery) -> list[Hit]:
        if query.types is not None and not query.types:
            return []
        with self._pool.searcher() as searcher:
            public_types = self._public_types(searcher) if query.types else None
            reader = searcher.reader()
            if self.ranked_arrays and not query.prefix:
                plan = self.ranked_plan(query, reader, public_types)
                if plan is None:
                    return []
                top = self._ranked.search(reader, plan, query.limit)
            else:
                whoosh_query = self.build_query(query, reader, public_types)
                if whoosh_query is None:
                    return []
                # optimize=False: Whoosh's block-quality skipping can trip an assertion in its
                # intersection matcher; every match is scored.
                top = searcher.search(whoosh_query, limit=query.limit, terms=False, optimize=False).top_n
            found = self._ranked.refs_of(reader, [docnum for _score, docnum in top])
            hits = [Hit(ref=make_ref(type_key, record_id), type=type_key, record_id=record_id, score=score)
                    for (score, _docnum), (type_key, record_id) in zip(top, found)]
        return hits

    def highlight(self, text: str, refs: list[str]) -> dict[str, Highlight]:
        words = query_words(text)
        terms = set(words)
        for word in words:
            terms.update(sub_words(word))
        pattern = term_pattern(terms)
        found = {}
        with self._pool.searcher() as searcher:
            for ref in refs:
                docnum = searcher.document_number(ref=ref)
                if docnum is None:
                    continue
                stored = searcher.stored_fields(docnum)
                title, body = stored.get("title", ""), stored.get("text", "")
                snippet_html = passages(body, pattern, max_characters=SNIPPET_CHARACTERS) or opening(
                    body, SNIPPET_CHARACTERS)
                found[ref] = Highlight(title_html=mark_all(title, pattern) or str(escape(title)),
                                       snippet_html=snippet_html, title=title, detail=stored.get("detail", ""))
        return found

    def close(self) -> None:
        self._pool.clear()
        self._ranked.cache.clear()
