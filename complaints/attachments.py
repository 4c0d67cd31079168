"""Evidence files: type decided by content, size limits, nothing executable or scriptable."""

import hashlib
import re
from dataclasses import dataclass

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
    return CheckedFile(upload=upload, content_type=content_type, size=upload.size, sha256=digest.hexdigest())


def check_uploads(uploads: list[UploadedFile]) -> list[CheckedFile]:
    total_limit = settings.ATTACHMENTS_TOTAL_MAX_BYTES
    if sum(u.size for u in uploads) > total_limit:
        raise ComplaintError(
            _("The files together are larger than %(limit)s.") % {"limit": filesizeformat(total_limit)}
        )
    return [check_upload(upload) for upload in uploads]
