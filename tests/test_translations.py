"""The Simplified Chinese catalog is complete, compiles, and is what Chinese visitors see."""

import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.contrib.auth.models import User
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _catalog() -> Catalog:
    with PO.open("rb") as source:
        return read_po(source, locale="zh_Hans")


def _is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(s.strip() for s in strings)


@pytest.fixture
def compiled_catalog(settings, tmp_path: Path) -> None:
    """Serve the zh_Hans catalog compiled fresh from the .po (the .mo is not in git), from a
    temporary locale folder so the test leaves nothing behind in the working tree."""
    mo = tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as target:
        write_mo(target, _catalog())
    # Assigning LOCALE_PATHS fires setting_changed, which empties Django's catalog cache.
    settings.LOCALE_PATHS = [tmp_path]


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    catalog = _catalog()
    messages = [m for m in catalog if m.id]
    assert len(messages) > 500, "the catalog looks truncated"
    untranslated = [m.id for m in messages if not _is_translated(m)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert untranslated == [], f"{len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


def test_catalog_declares_the_single_chinese_plural_form() -> None:
    catalog = _catalog()
    assert catalog.num_plurals == 1
    assert "nplurals=1; plural=0;" in PO.read_text(encoding="utf-8")


def test_catalog_compiles_with_matching_placeholders(tmp_path: Path) -> None:
    catalog = _catalog()
    # Babel checks that every msgstr keeps the msgid's %(name)s placeholders.
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert problems == []
    with (tmp_path / "django.mo").open("wb") as target:
        write_mo(target, catalog)
    assert (tmp_path / "django.mo").stat().st_size > 10_000
    msgfmt = shutil.which("msgfmt")
    if msgfmt:  # gettext's stricter check, the one compile-messages runs when installed
        result = subprocess.run(
            [msgfmt, "--check-format", "-o", str(tmp_path / "msgfmt.mo"), str(PO)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalog")
@pytest.mark.parametrize(
    ("path", "chinese", "english"),
    [
        ("/", "有什么可以帮您？", "How can we help?"),
        ("/", "查询投诉进度", "Track a complaint"),
        ("/submit/", "提交投诉", "Send complaint"),
        ("/track/", "查看投诉处理进度", "See where your complaint stands"),
    ],
)
def test_public_pages_speak_the_visitors_language(
    client: Client, path: str, chinese: str, english: str
) -> None:
    zh = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert chinese in zh
    assert english not in zh
    en = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english in en
    assert chinese not in en


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_catalog")
def test_desk_queue_is_in_chinese_for_agents(client: Client, agent: User) -> None:
    client.force_login(agent)
    zh = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我的未结工单" in zh
    assert "My open tickets" not in zh
    en = client.get("/desk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My open tickets" in en
