"""The analyzer: Chinese segmented by jieba (with the words inside long words), English
lowercased and not stemmed, numbers kept whole, pinyin spellings of names."""
from __future__ import annotations

from collections import Counter

from workbench.search.analysis import ChineseTokenizer, pinyin_keys, query_words, sub_words, word_counts


def tokens(text: str) -> list[str]:
    return [token.text for token in ChineseTokenizer()(text)]


def test_chinese_is_segmented_into_words_and_the_words_inside_a_long_word():
    words = tokens("华为技术有限公司推进云专线")
    assert "华为技术有限公司" in words
    assert {"华为", "技术", "有限", "公司", "推进", "云专线"} <= set(words)
    assert "华" not in words  # words, not characters


def test_unknown_words_fall_apart_the_same_way_in_any_context():
    # jieba's HMM would make 郑浩已 and 华晟新 here; dictionary-only cutting finds the name.
    assert {"郑", "浩"} <= set(tokens("客户经理郑浩已处理投诉"))
    assert {"华", "晟", "材料"} <= set(tokens("华晟新材料科技有限公司"))
    assert query_words("郑浩") == ["郑", "浩"]


def test_the_indexing_fast_path_counts_exactly_the_analyzers_terms():
    text = "华为技术有限公司在滨江县推进５Ｇ专线，合同 3.5 亿元；客户经理郑浩已处理 SD-WAN 的需求。"
    assert word_counts(text) == Counter(tokens(text))


def test_english_is_lowercased_and_not_stemmed():
    words = tokens("Managed Services for ICT Projects")
    assert {"managed", "services", "ict", "projects"} <= set(words)
    assert "manag" not in words and "project" not in words


def test_numbers_codes_and_decimals_are_kept_whole():
    words = tokens("GC0000123 合同金额 3.5 亿元，联系 13800138000，2024年")
    assert {"gc0000123", "3.5", "13800138000", "2024"} <= set(words)


def test_full_width_letters_and_digits_read_as_ascii():
    assert {"5g", "专线"} <= set(tokens("５Ｇ专线"))


def test_punctuation_and_function_characters_are_not_words():
    words = tokens("政企客户的需求、和方案！")
    assert "的" not in words and "和" not in words and "、" not in words and "！" not in words
    assert "需求" in words


def test_character_offsets_point_into_the_original_text():
    text = "ＡＢＣ与华为合作"
    for token in ChineseTokenizer()(text, chars=True):
        assert text[token.startchar:token.endchar].lower().translate(
            {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}) == token.text


def test_query_syntax_characters_are_plain_text_and_may_leave_no_words():
    assert query_words('AND OR "') == ["and", "or"]
    assert query_words("* ? : ( ) ~ ^") == []
    assert query_words("华为 OR 5G*") == ["华为", "or", "5g"]


def test_a_long_query_word_is_also_found_by_its_dictionary_sub_words():
    assert sub_words("有限公司") == ["有限", "公司"]
    assert sub_words("5g") == []


def test_pinyin_keys_hold_initials_and_full_pinyin_from_each_word_start():
    keys = pinyin_keys("华为技术有限公司").split()
    assert keys[:2] == ["hwjsyxgs", "huaweijishuyouxiangongsi"]
    assert "yxgs" in keys and "jishuyouxiangongsi" in keys


def test_pinyin_keys_keep_letters_and_digits_and_read_polyphones_in_context():
    assert pinyin_keys("ABC-5G实验室").split()[0] == "abc5gsys"
    assert pinyin_keys("重庆银行").split()[1] == "chongqingyinhang"
