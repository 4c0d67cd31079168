"""Evidence files: type decided by content, size limits, nothing executable or scriptable."""

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import ComplaintError

# Detected MIME types that are accepted as evidence.
ALLOWED_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/bmp",
    "application/pdf",
    "audio/mpeg",
    "audio/x-wav",
    "audio/amr",
    "audio/mp4",
    "audio/x-m4a",
    "audio/ogg",
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-msvideo",
    "video/3gpp",
}
OFFICE_SUFFIXES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE_SUFFIXES = {
    ".doc": "application/msword",
    ".xls": "application/vnd.ms-excel",
    ".ppt": "application/vnd.ms-powerpoint",
}
_SCRIPTISH = re.compile(rb"<\s*(script|html|svg|iframe|object|embed)\b|javascript:|onload\s*=", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    content_type: str
    size: int
    sha256: str


def _detect(head: bytes, name: str) -> str | None:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime == "application/zip" and suffix in OFFICE_SUFFIXES:
            return OFFICE_SUFFIXES[suffix]
        if kind.mime in ALLOWED_TYPES:
            return kind.mime
        if kind.mime in OFFICE_SUFFIXES.values():
            return kind.mime
        if kind.mime == "application/x-ole-storage" and suffix in OLE_SUFFIXES:
            return OLE_SUFFIXES[suffix]
        return None
    # Plain text is fine as evidence (chat logs), as long as it is not markup or script.
    if suffix in {".txt", ".log", ".csv"} and not _SCRIPTISH.search(head):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


# Extensions offered for detected types the mimetypes table names oddly or not at all.
PREFERRED_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/heic": ".heic",
    "image/webp": ".webp",
    "audio/amr": ".amr",
    "audio/x-m4a": ".m4a",
    "audio/mp4": ".m4a",
    "video/3gpp": ".3gp",
    "text/plain": ".txt",
}


def _extensions(content_type: str) -> set[str]:
    """Every extension that names `content_type` (.jpg and .jpeg for JPEG)."""
    named = {suffix for suffix, kind in {**OFFICE_SUFFIXES, **OLE_SUFFIXES}.items() if kind == content_type}
    if content_type == "text/plain":
        named |= {".txt", ".log", ".csv"}
    if content_type in PREFERRED_EXTENSIONS:
        named.add(PREFERRED_EXTENSIONS[content_type])
    return named | set(mimetypes.guess_all_extensions(content_type))


def name_for_type(name: str, content_type: str) -> str:
    """The uploader's name with an extension that says what the content is: a PNG sent as
    `poly.html` is kept and offered as `poly.png`, so nobody who downloads it opens it as a page."""
    path = PurePath(name or "file")
    extensions = _extensions(content_type)
    if path.suffix.lower() in extensions:
        return path.name
    preferred = PREFERRED_EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type)
    return f"{path.stem.lstrip('.') or 'file'}{preferred or min(extensions, default='')}"


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Accept one evidence file or raise ComplaintError saying why not."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ComplaintError(
            _("%(name)s is too large (%(size)s); the limit is %(limit)s per file.")
            % {"name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    head = upload.read(8192)
    content_type = _detect(head, upload.name or "")
    if content_type is None:
        raise ComplaintError(
            _("%(name)s is not an accepted file type. Send images, PDF, office documents, audio or video.")
            % {"name": upload.name}
        )
    digest = hashlib.sha256(head)
    for chunk in iter(lambda: upload.read(65536), b""):
        digest.update(chunk)
    upload.seek(0)
    # The stored and offered names follow the content, not the uploader's claim.
    upload.name = name_for_type(upload.name or "", content_type)
    return CheckedFile(upload=upload, content_type=content_type, size=upload.size, sha256=digest.hexdigest())


def check_uploads(uploads: list[UploadedFile]) -> list[CheckedFile]:
    total_limit = settings.ATTACHMENTS_TOTAL_MAX_BYTES
    if sum(u.size for u in uploads) > total_limit:
        raise ComplaintError(
            _("The files together are larger than %(limit)s.") % {"limit": filesizeformat(total_limit)}
        )
    return [check_upload(upload) for upload in uploads]
