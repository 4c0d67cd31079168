import pytest

from assist import text
from assist.models import AssistTerm

pytestmark = pytest.mark.django_db


def test_chinese_is_segmented_into_words_and_bigrams():
    analysis = text.analyse("我家宽带已经断网三天了")
    assert "宽带" in analysis.words
    assert "断网" in analysis.words
    assert "了" not in analysis.words  # a function word says nothing
    assert "~宽带" in analysis.grams and "~网三" in analysis.grams


def test_english_tokens_are_lower_case_stemmed_and_without_stopwords():
    assert text.words("I was CHARGED twice for my Broadband plan!") == ["charg", "twice", "broadband", "plan"]
    assert text.words("charges") == text.words("charged")


def test_full_width_letters_and_digits_are_normalised():
    assert text.words("ＶＩＰ会员１２３") == text.words("VIP会员123")


def test_a_desk_word_from_the_admin_is_kept_whole_and_removing_it_splits_it_again():
    assert "钻石卡密" not in text.words("钻石卡密充值失败")
    term = AssistTerm.objects.create(word="钻石卡密")
    assert "钻石卡密" in text.words("钻石卡密充值失败")
    term.delete()
    assert "钻石卡密" not in text.words("钻石卡密充值失败")


@pytest.mark.parametrize("nonsense", ["", "   ", "！！！？？？", "😡😡😡👎", "...---...", "\x00"])
def test_punctuation_emoji_and_empty_text_analyse_to_nothing(nonsense):
    assert text.analyse(nonsense).terms == ()
    assert text.similarity(nonsense, "宽带断网") == 0.0


def test_a_huge_text_is_cut_not_refused():
    analysis = text.analyse("宽带断网" * 100_000)
    assert 0 < len(analysis.grams) < text.MAX_CHARS


def test_mixed_scripts_keep_both():
    assert {"app", "闪退"} <= set(text.words("打开APP就闪退"))


def test_a_rephrased_chinese_complaint_is_more_similar_than_a_different_matter():
    first = "宽带断网三天了，一直连不上网，打了好几次客服电话都没人处理"
    rephrased = "家里的宽带从周一开始就断了，到现在还是上不了网，客服一直不处理"
    different = "上个月话费账单多扣了五十元，要求退还多收的费用"
    assert text.similarity(first, rephrased) > text.similarity(first, different) + 0.15
