"""The text of a PDF, read back from its bytes: enough of the format for what WeasyPrint writes.

pypdf is not a dependency of the project, so this reads the PDF the way a viewer's copy-and-paste
does: each page's content stream, every glyph string of a text operator mapped back to characters
through its font's ToUnicode map. A figure is found only when it is printed in the file.
"""

import re
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.S)
STREAM = re.compile(rb"^(.*?)stream\r?\n(.*)\r?\nendstream$", re.S)
HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
REFERENCE = re.compile(rb"/([^\s/<>\[\]()]+)\s+(\d+) 0 R")
TOKEN = re.compile(rb"/([^\s/<>\[\]()]+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9A-Fa-f\s]*)>\s*Tj|\bET\b", re.S)


def _objects(data: bytes) -> tuple[dict[int, bytes], list[bytes]]:
    """Every object's dictionary (those packed in object streams too), and the decoded streams."""
    bodies: dict[int, bytes] = {}
    streams: list[bytes] = []
    for number, body in OBJECT.findall(data):
        match = STREAM.match(body)
        if not match:
            bodies[int(number)] = body
            continue
        head, raw = match.groups()
        decoded = zlib.decompress(raw) if b"/FlateDecode" in head else raw
        bodies[int(number)] = head
        if b"/ObjStm" in head:
            first = int(re.search(rb"/First\s+(\d+)", head).group(1))
            numbers = [int(n) for n in decoded[:first].split()]
            offsets = [*numbers[1::2], len(decoded) - first]
            for index, packed in enumerate(numbers[::2]):
                bodies[packed] = decoded[first + offsets[index] : first + offsets[index + 1]]
        else:
            streams.append(decoded)
            bodies[int(number)] = head + b"\x00stream:" + str(len(streams) - 1).encode()
    return bodies, streams


def _unicode_map(cmap: bytes) -> tuple[dict[int, str], int]:
    """A ToUnicode CMap's code -> text, and how many hex digits a code has."""
    mapping: dict[int, str] = {}
    width = 4
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        codes = HEX.findall(block)
        for source, target in zip(codes[::2], codes[1::2], strict=True):
            width = len(source)
            mapping[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in re.findall(rb"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            width = len(low)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(int(target, 16) + offset)
    return mapping, width


def _fonts(bodies: dict[int, bytes], streams: list[bytes]) -> dict[bytes, tuple[dict[int, str], int]]:
    """Each font's resource name (/f-0-0) -> its ToUnicode map."""

    def stream_of(number: int) -> bytes:
        index = bodies[number].rsplit(b"\x00stream:", 1)[1]
        return streams[int(index)]

    def cmap_of(font_number: int) -> tuple[dict[int, str], int] | None:
        found = re.search(rb"/ToUnicode\s+(\d+) 0 R", bodies.get(font_number, b""))
        return _unicode_map(stream_of(int(found.group(1)))) if found else None

    fonts: dict[bytes, tuple[dict[int, str], int]] = {}
    for body in bodies.values():
        for inline in re.findall(rb"/Font\s*<<(.*?)>>", body, re.S):
            for name, number in REFERENCE.findall(inline):
                if (cmap := cmap_of(int(number))) is not None:
                    fonts[name] = cmap
        for number in re.findall(rb"/Font\s+(\d+) 0 R", body):
            for name, font_number in REFERENCE.findall(bodies.get(int(number), b"")):
                if (cmap := cmap_of(int(font_number))) is not None:
                    fonts[name] = cmap
    return fonts


def pdf_text(data: bytes) -> str:
    """The characters shown on every page, in drawing order; a space after each shown string."""
    bodies, streams = _objects(data)
    fonts = _fonts(bodies, streams)
    pieces: list[str] = []
    for stream in streams:
        if b"BT" not in stream or b"Tf" not in stream:
            continue
        mapping, width = {}, 4
        for token in TOKEN.finditer(stream):
            font, array, single = token.groups()
            if font is not None:
                mapping, width = fonts.get(font, ({}, 4))
            elif array is None and single is None:
                pieces.append(" ")
            else:
                for digits in HEX.findall(array) if array is not None else [single]:
                    digits = re.sub(rb"\s", b"", digits).decode()
                    pieces.extend(
                        mapping.get(int(digits[i : i + width], 16), "") for i in range(0, len(digits), width)
                    )
                pieces.append(" ")
    return "".join(pieces)
