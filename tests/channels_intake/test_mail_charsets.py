"""Chinese charsets in mail headers: GB2312 labels on GBK bytes, Big5 labels on cp950 and HKSCS text.

Bodies already fell back to GB18030; subjects, sender names and attachment names decoded to U+FFFD."""

import base64
import urllib.parse

import pytest

from channels_intake import mailparse, services
from channels_intake.models import InboundItem, Mailbox
from complaints.models import Attachment

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
# 镕 and 堃 are GBK, not GB2312: a GB2312 decoder turns them into U+FFFD.
GBK_SUBJECT = "投诉：朱镕的宽带和王堃的账单"
GBK_NAME = "朱镕"
GBK_FILE = "发票_镕.png"
# 𥚃 and 嘅 are HKSCS; € is cp950 (Microsoft's Big5): a plain Big5 decoder fails on each.
HKSCS_SUBJECT = "投訴：香港𥚃寬頻嘅問題"
CP950_TEXT = "退款 €20 未收到"


def encoded_word(text: str, codec: str, label: str) -> bytes:
    return b"=?" + label.encode() + b"?B?" + base64.b64encode(text.encode(codec)) + b"?="


def mail(
    *, subject: bytes, sender: bytes, body: bytes = b"", charset: str = "utf-8", attachment: bytes = b""
) -> bytes:
    raw = (
        b"From: " + sender + b"\r\nTo: complaints@desk.example\r\nSubject: " + subject + b"\r\n"
        b"Message-ID: <cjk@client.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\n'
        b"Content-Type: text/plain; charset="
        + charset.encode()
        + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + (body or b"see subject")
        + b"\r\n"
    )
    if attachment:
        raw += (
            b"--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; " + attachment + b"\r\n\r\n" + base64.b64encode(PNG) + b"\r\n"
        )
    return raw + b"--XX--\r\n"


def test_a_gb2312_labelled_subject_and_sender_with_gbk_bytes_decode():
    parsed = mailparse.parse(
        mail(
            subject=encoded_word(GBK_SUBJECT, "gbk", "gb2312"),
            sender=encoded_word(GBK_NAME, "gbk", "GB2312") + b" <zhu@example.cn>",
        )
    )
    assert parsed.subject == GBK_SUBJECT
    assert parsed.from_name == GBK_NAME and parsed.from_address == "zhu@example.cn"


def test_unencoded_8bit_gbk_headers_decode():
    parsed = mailparse.parse(mail(subject=GBK_SUBJECT.encode("gbk"), sender=b"zhu@example.cn"))
    assert parsed.subject == GBK_SUBJECT


@pytest.mark.parametrize(
    "disposition",
    [
        b'filename="' + encoded_word(GBK_FILE, "gbk", "gb2312") + b'"',
        b"filename*=gb2312''" + urllib.parse.quote_from_bytes(GBK_FILE.encode("gbk")).encode(),
    ],
    ids=["rfc2047", "rfc2231"],
)
def test_gb2312_labelled_attachment_names_with_gbk_bytes_decode(disposition):
    parsed = mailparse.parse(mail(subject=b"photo", sender=b"zhu@example.cn", attachment=disposition))
    assert [a.filename for a in parsed.attachments] == [GBK_FILE]


def test_a_big5_labelled_subject_with_hkscs_characters_decodes():
    parsed = mailparse.parse(
        mail(subject=encoded_word(HKSCS_SUBJECT, "big5hkscs", "big5"), sender=b"hk@example.hk")
    )
    assert parsed.subject == HKSCS_SUBJECT


def test_big5_labelled_bodies_decode_cp950_and_hkscs_text():
    cp950 = mailparse.parse(
        mail(subject=b"x", sender=b"tw@example.tw", body=CP950_TEXT.encode("cp950"), charset="big5")
    )
    assert cp950.text == CP950_TEXT
    hkscs = mailparse.parse(
        mail(subject=b"x", sender=b"hk@example.hk", body=HKSCS_SUBJECT.encode("big5hkscs"), charset="big5")
    )
    assert hkscs.text == HKSCS_SUBJECT


def test_correctly_labelled_headers_are_unchanged():
    parsed = mailparse.parse(
        mail(
            subject=encoded_word("宽带中断", "utf-8", "UTF-8"),
            sender=encoded_word("李雷", "utf-8", "utf-8") + b" <l@x.cn>",
        )
    )
    assert parsed.subject == "宽带中断" and parsed.from_name == "李雷"


@pytest.mark.django_db
def test_the_ticket_customer_and_evidence_carry_the_decoded_names():
    mailbox = Mailbox.objects.create(
        name="Complaints",
        address="complaints@desk.example",
        host="127.0.0.1",
        port=143,
        username="d",
        password="p",
    )
    raw = mail(
        subject=encoded_word(GBK_SUBJECT, "gbk", "gb2312"),
        sender=encoded_word(GBK_NAME, "gbk", "gb2312") + b" <zhu@example.cn>",
        attachment=b'filename="' + encoded_word(GBK_FILE, "gbk", "gb2312") + b'"',
    )
    item = services.take_email(raw=raw, mailbox=mailbox)
    assert item.state == InboundItem.State.PROCESSED, item.error
    assert item.ticket.subject == GBK_SUBJECT
    assert item.ticket.customer.name == GBK_NAME
    assert Attachment.objects.get().original_name == GBK_FILE
