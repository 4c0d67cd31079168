import pytest

from assist import urgency


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("这已经是第三次投诉了，再不处理我就去曝光！", ["第三次投诉", "再不处理", "曝光"]),
        ("气死我了，马上给我退款", ["气死", "马上"]),
        ("This is my THIRD COMPLAINT, fix it right now!", ["third complaint", "right now"]),
        ("Ｕｒｇｅｎｔ: no internet", ["urgent"]),
    ],
)
def test_urgent_angry_and_repeat_contact_wording_is_flagged_with_its_words(raw, words):
    assert urgency.signals(raw) == words


@pytest.mark.parametrize("calm", ["宽带断网了，请安排维修", "My parcel is late, please check.", "", "😡"])
def test_calm_text_raises_no_flag(calm):
    assert urgency.signals(calm) == []


def test_a_word_inside_another_english_word_is_not_a_signal():
    assert urgency.signals("the asapp team and an urgentish tone") == []
