"""Our catalog never overrides Django's own translations.

The project's LOCALE_PATHS catalog takes precedence over every app's catalog, so an entry for
a msgid Django already translates silently replaces Django's wording everywhere (the admin's
"Change" once read 变化 instead of Django's 修改). Wording of our own goes under a msgctxt.
"""

from pathlib import Path

import django
from babel.messages.pofile import read_po
from django.apps import apps
from django.test import Client
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
DJANGO_ROOT = Path(django.__file__).resolve().parent


def _keys(po: Path) -> set[tuple[str | None, str]]:
    with po.open("rb") as source:
        catalog = read_po(source)
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def _django_catalogs() -> list[Path]:
    """Django's core catalog and those of the installed django.contrib apps (what Django loads)."""
    found = [DJANGO_ROOT / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"]
    for config in apps.get_app_configs():
        if config.name.startswith("django."):
            po = Path(config.path) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
            if po.exists():
                found.append(po)
    return found


def test_django_catalogs_are_found() -> None:
    names = {po.parts[-5] for po in _django_catalogs()}
    assert {"conf", "admin", "auth"} <= names


def test_our_catalog_defines_no_msgid_a_django_catalog_defines() -> None:
    ours = _keys(OURS)
    overlapping = sorted(
        f"{po.parts[-5]}: {msgid!r}" + (f" (context {context!r})" if context else "")
        for po in _django_catalogs()
        for context, msgid in _keys(po) & ours
    )
    assert overlapping == [], (
        "these entries override Django's own translation; delete them (or give our wording a "
        f"msgctxt): {overlapping}"
    )


def test_admin_change_link_reads_as_django_translates_it() -> None:
    with translation.override("zh-hans"):
        assert translation.gettext("Change") == "修改"
        assert translation.pgettext("difference from the previous period", "Change") == "变化"


def test_admin_page_uses_djangos_wording(admin_client: Client) -> None:
    page = admin_client.get("/admin/auth/user/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "修改" in page or "增加" in page
    assert "变化" not in page
