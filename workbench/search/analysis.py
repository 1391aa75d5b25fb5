"""How text becomes search terms: Chinese segmented by jieba, English and numbers kept as
lowercased words, names also findable by their pinyin (华为技术 ← "hwjs", "huawei").

Decisions (docs/search.md explains them):
* Chinese is segmented by jieba's dictionary alone (HMM off), in *search mode*: every word
  plus the dictionary words inside a long word (华为技术有限公司 → 华为技术有限公司, 华为,
  技术, 有限, 公司), so a part of a name finds the whole. jieba's HMM guesses unknown words
  from their context — 客户经理郑浩已处理 → 郑浩已, 华晟新材料 → 华晟新 / 材料 — so the same
  name would be cut differently in a text and in a query; without it an unknown word falls
  apart into characters the same way everywhere (郑 / 浩, 华 / 晟 / 新材料) and is found.
  Queries are cut the same way, and a query word also matches when all of its dictionary
  sub-words occur (see `sub_words`).
* English is lowercased and not stemmed: what people type here is product names, codes and
  abbreviations (ICT, 5G, SD-WAN, IDC), where stemming does more harm than good.
* Numbers are kept whole (13800138000, 2024, 3.5); full-width letters and digits typed on a
  Chinese keyboard (５Ｇ) are read as their ASCII forms.
* A handful of single-character function words (的, 了, 和 …) are dropped: they match
  everything and cost index space.

The segmenter is a private jieba.Tokenizer with a small telecom vocabulary added, so the
workbench never changes the global jieba dictionary other code might use.
"""
from __future__ import annotations

import functools
import logging
import re
import threading
from collections import Counter

import jieba
from whoosh.analysis import Token, Tokenizer

log = logging.getLogger(__name__)

# Words jieba's general dictionary lacks or cuts badly in government-and-enterprise sales.
# Chinese only: a word with ASCII letters would be found only in the case it was added in.
DOMAIN_WORDS = (
    "政企", "政企客户", "集团客户", "客户经理", "县区经理", "网格经理", "商机", "派单", "双跨",
    "云专线", "互联网专线", "数据专线", "语音专线", "专网", "切片专网", "物联网卡", "天翼云",
    "移动云", "云电脑", "云宽带", "千兆宽带", "光宽带", "算力网络", "智慧城市", "智慧园区",
    "智慧校园", "智慧医疗", "平安乡村", "雪亮工程", "数字政府", "一网通办", "等保测评",
    "信息化", "预警", "欠费", "合约到期", "成员异动", "收入异动", "方案库", "知识库",
)

# Single characters that carry no meaning on their own and occur in every text.
STOP_CHARACTERS = frozenset("的了和与及或在是等对将把被于之其而且也就都")

PINYIN_MAX_LENGTH = 24  # longest pinyin prefix indexed (and so the longest that can match)

# Full-width ASCII (Ｆ１, ５Ｇ) → ASCII, one character for one, so offsets stay valid.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_HAS_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
_WORD_CHARACTER = re.compile(r"\w")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"[a-z0-9]+")

_segmenter = jieba.Tokenizer()
_ready = threading.Lock()
jieba.setLogLevel(logging.WARNING)


def segmenter() -> jieba.Tokenizer:
    """The initialised jieba tokenizer (the dictionary loads once per process, ~1 s)."""
    if not _segmenter.initialized:
        with _ready:
            if not _segmenter.initialized:
                _segmenter.initialize()
                for word in DOMAIN_WORDS:
                    _segmenter.add_word(word)
    return _segmenter


def normalise(text: str) -> str:
    """Lowercase, full-width ASCII as ASCII. Keeps the length, so character offsets of the
    result are offsets in the original text (highlighting relies on it)."""
    folded = text.translate(_FULL_WIDTH) if _HAS_FULL_WIDTH.search(text) else text
    lowered = folded.lower()
    return lowered if len(lowered) == len(folded) else folded  # 'İ'.lower() is two characters


def is_word(token: str) -> bool:
    """A token worth indexing: has a letter or digit and is not a stop character."""
    if token.isalnum():
        return len(token) > 1 or token not in STOP_CHARACTERS
    return bool(_WORD_CHARACTER.search(token))


@functools.lru_cache(maxsize=200_000)
def _inner_words(word: str) -> tuple[tuple[str, int], ...]:
    """(dictionary word, offset) of two and three characters inside `word` (cached: texts
    repeat their words, so each long word is looked into once)."""
    frequencies = segmenter().FREQ
    found = []
    for size in (2, 3):
        for index in range(len(word) - size + 1):
            part = word[index:index + size]
            if frequencies.get(part):
                found.append((part, index))
    return tuple(found)


_DECIMAL = re.compile(r"\d+(?:\.\d+)+")


def cut(text: str):
    """jieba's dictionary-only cut of normalised text, keeping decimals (3.5, 10.2.1) whole,
    which jieba without its HMM would cut at the dot."""
    tokenizer = segmenter()
    if "." not in text:
        return tokenizer.cut(text, HMM=False)
    return _cut_around_decimals(tokenizer, text)


def _cut_around_decimals(tokenizer, text: str):
    position = 0
    for match in _DECIMAL.finditer(text):
        if match.start() > position:
            yield from tokenizer.cut(text[position:match.start()], HMM=False)
        yield match.group()
        position = match.end()
    if position < len(text):
        yield from tokenizer.cut(text[position:], HMM=False)


def segments(text: str):
    """(word, start, end) for every word of `text` in search mode: each word jieba cuts, plus
    the dictionary words of two and three characters inside a longer word. Words are
    normalised; offsets refer to `text`."""
    offset = 0
    for word in cut(normalise(text)):
        start = offset
        length = len(word)
        offset += length
        if not is_word(word):
            continue
        if length > 2:
            for part, index in _inner_words(word):
                yield part, start + index, start + index + len(part)
        yield word, start, offset


@functools.lru_cache(maxsize=200_000)
def _inner_terms(word: str) -> tuple[str, ...]:
    return tuple(part for part, _index in _inner_words(word))


def word_counts(text: str) -> dict[str, int]:
    """How often each word of `segments` occurs in `text`: the fast path for indexing.
    jieba's words are counted first (in C), so the filtering and the words inside long words
    are looked at once per distinct word rather than once per occurrence."""
    counts: dict[str, int] = {}
    seen = counts.get
    for word, times in Counter(cut(normalise(text))).items():
        if not is_word(word):
            continue
        counts[word] = seen(word, 0) + times
        if len(word) > 2:
            for part in _inner_terms(word):
                counts[part] = seen(part, 0) + times
    return counts


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer over `segments`: the analyzer of every text field of the index.

    Lives at a stable import path because Whoosh pickles the schema (with this class) into
    the index; moving it means `workbench search rebuild`.
    """

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __hash__(self):
        return hash(self.__class__.__name__)

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        position = start_pos
        for word, start, end in segments(value):
            token.text = word
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def chinese_analyzer() -> ChineseTokenizer:
    return ChineseTokenizer()


def query_words(text: str) -> list[str]:
    """The words of a query, cut like the texts (without the words inside long words),
    normalised, without punctuation, duplicates or stop characters. Query syntax (AND, *,
    quotes) is just text here: nothing is parsed."""
    words = []
    for word in cut(normalise(text)):
        if is_word(word) and word not in words:
            words.append(word)
    return words


def sub_words(word: str) -> list[str]:
    """The dictionary words inside a longer query word (华为技术 → 华为, 技术): if all of them
    occur, the word counts as found even where a text was cut differently."""
    if len(word) <= 2 or not _HAN.search(word):
        return []
    found = [part for part, _start, _end in segments(word) if part != word]
    return list(dict.fromkeys(found))


def pinyin_keys(name: str) -> str:
    """Pinyin spellings under which `name` can be found, space separated: the initials and
    the full pinyin, from each word start to the end (华为技术有限公司 → "hwjsyxgs
    huaweijishuyouxiangongsi jsyxgs jishuyouxiangongsi yxgs …").

    The index stores the prefixes of each key (see whoosh_backend), so "hwjs", "hw",
    "huawei" and "yxgs" all find 华为技术有限公司. Letters and digits stay as they are.
    """
    # Imported on first use: pypinyin's dictionaries take ~55 MB, which a web worker that
    # never indexes (the search jobs run in the Celery worker) does not need to carry.
    from pypinyin import lazy_pinyin

    text = normalise(name)
    pieces: list[tuple[int, str, str]] = []  # (offset, initial, full spelling)
    position = 0
    for item in lazy_pinyin(text, errors=lambda chars: [chars]):
        if text.startswith(item, position):
            # Not spelled: letters, digits, punctuation. An ASCII run (5g, abc) is one piece.
            for run in _ASCII_WORD.finditer(item):
                pieces.append((position + run.start(), run.group(), run.group()))
            position += len(item)
        else:
            pieces.append((position, item[0], item))  # one Chinese character
            position += 1
    starts = sorted({0} | {start for _word, start, _end in segments(text)})
    keys: list[str] = []
    for boundary in starts:
        rest = [piece for piece in pieces if piece[0] >= boundary]
        for key in ("".join(piece[1] for piece in rest), "".join(piece[2] for piece in rest)):
            key = key[:PINYIN_MAX_LENGTH]
            if len(key) >= 2 and key not in keys:
                keys.append(key)
    return " ".join(keys)
