"""Highlights: the query's words marked, everything else escaped, the passages that show the
most of the query chosen, and the start of the text when nothing in it matches."""
from __future__ import annotations

from workbench.search.highlighting import mark_all, opening, passages, term_pattern


def test_every_match_in_a_title_is_marked_and_the_rest_escaped():
    pattern = term_pattern(["华为", "专线"])
    assert mark_all("<b>华为</b>专线与华为", pattern) == \
        "&lt;b&gt;<mark>华为</mark>&lt;/b&gt;<mark>专线</mark>与<mark>华为</mark>"
    assert mark_all("滨江医院", pattern) == ""
    assert mark_all("滨江医院", None) == ""


def test_letters_match_whole_words_and_chinese_inside_longer_words():
    pattern = term_pattern(["ict", "专线"])
    assert mark_all("ICT strict 互联网专线", pattern) == "<mark>ICT</mark> strict 互联网<mark>专线</mark>"


def test_the_longest_term_wins_where_terms_overlap():
    assert mark_all("互联网专线", term_pattern(["专线", "互联网专线"])) == "<mark>互联网专线</mark>"


def test_full_width_letters_are_found_and_shown_as_written():
    assert mark_all("ＩＣＴ项目", term_pattern(["ict"])) == "<mark>ＩＣＴ</mark>项目"


def test_passages_show_the_parts_with_the_most_different_words_in_text_order():
    filler = "。" * 200
    text = f"开头只有专线{filler}这里专线和审核都在{filler}结尾又是审核"
    shown = passages(text, term_pattern(["专线", "审核"]), max_characters=60, surround=10, top=1)
    assert shown == "。。。。。。。。这里<mark>专线</mark>和<mark>审核</mark>都在。。。。。。。。"  # 10 either side
    both = passages(text, term_pattern(["专线", "审核"]), max_characters=60, surround=10, top=2)
    # then, of the two passages with one word each, the earlier; shown in text order
    assert both.index("开头") < both.index("专线</mark>和")
    assert " … " in both and both.count("<mark>") == 3
    assert "结尾" not in both


def test_a_passage_never_exceeds_its_length_unless_one_match_is_longer():
    text = "甲" * 100 + "专线" + "乙" * 100
    shown = passages(text, term_pattern(["专线"]), max_characters=30, surround=10)
    assert len(shown.replace("<mark>", "").replace("</mark>", "")) <= 30


def test_passages_escape_the_text_around_the_marks():
    shown = passages("<script>alert(1)</script>华为专线", term_pattern(["华为"]))
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "<mark>华为</mark>" in shown


def test_no_match_gives_no_passage_and_the_opening_is_escaped_and_cut():
    assert passages("滨江医院", term_pattern(["专线"])) == ""
    assert opening("<i>" + "字" * 200, 10) == "&lt;i&gt;字字字字字字字…"
    assert opening("短", 10) == "短"
