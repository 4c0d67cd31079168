"""Evidence files of the tickets an agent may see."""

from django.contrib.auth.decorators import permission_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints import selectors
from complaints.models import Attachment

from ..permissions import desk_access_required

# Images a browser may show inline; anything else (SVG included) is only ever downloaded.
INLINE_IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}


@desk_access_required
@permission_required("complaints.view_attachment", raise_exception=True)
@require_GET
def attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file of a ticket the user may see; safe images inline, everything else downloaded."""
    item = get_object_or_404(
        Attachment.objects.filter(ticket__in=selectors.tickets_visible_to(request.user).values("pk")), pk=pk
    )
    inline = item.content_type in INLINE_IMAGE_TYPES and "download" not in request.GET
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=item.original_name,
        content_type=item.content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
