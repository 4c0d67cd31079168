"""EMAIL_URL → the MAILERS entry (Django 6.1): one variable chooses the default mailer (config/settings.py
lists the schemes)."""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def mailer_from_url(url: str, *, var_dir: Path) -> dict:
    """The MAILERS entry an EMAIL_URL describes; an unknown scheme is a configuration error."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    simple = {
        "console": "config.console_backends.ConsoleEmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme in simple:
        return {"BACKEND": simple[scheme]}
    if scheme == "file":
        return {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": unquote(parts.path) or str(var_dir / "mail")},
        }
    if scheme not in {"smtp", "smtp+tls", "smtps", "submission"}:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not supported: use console://, smtp://, smtp+tls://, smtps://, "
            "file://, locmem:// or dummy://."
        )
    use_ssl = scheme == "smtps"
    use_tls = scheme in {"smtp+tls", "submission"}
    options = {
        "host": parts.hostname or "localhost",
        "port": parts.port or (465 if use_ssl else 587 if use_tls else 25),
        "use_tls": use_tls,
        "use_ssl": use_ssl,
        "timeout": 20,
    }
    if parts.username:
        options["username"] = unquote(parts.username)
        options["password"] = unquote(parts.password or "")
    return {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": options}
