"""Reading HTML pages in tests: a small tree from the standard library's `html.parser`,
the rules of SPEC §9 that every page must keep, and a PNG decoder for screenshots."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# The elements marry's pages are made of: an element from user data would be another one.
OWN_ELEMENTS = {
    "html", "head", "meta", "title", "style", "body", "header", "main", "footer", "h1", "h2",
    "h3", "p", "b", "a", "span", "div", "time", "table", "thead", "tbody", "tr", "th", "td",
    "section", "figure", "figcaption", "svg", "rect", "line", "text", "path", "circle", "code",
}  # fmt: skip


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.attrs.get("class", "").split())
        ]

    def find(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag or '*'} class={cls}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def assert_inert_and_self_contained(page: str) -> Node:
    """SPEC §9: no script, no event handler, nothing loaded from anywhere, the CSP meta."""
    tree = parse(page)
    assert page.startswith("<!DOCTYPE html>")
    for node in tree.walk():
        if node is tree:
            continue
        assert node.tag in OWN_ELEMENTS, f"unexpected element <{node.tag}>"
        for name, value in node.attrs.items():
            assert not name.startswith("on"), f"<{node.tag} {name}=...>"
            lowered = value.lower().replace(" ", "")
            if name in ("href", "src", "srcset", "action", "xlink:href", "style"):
                assert not re.search(r"https?:|//|javascript:|data:", lowered), (name, value)
                assert name != "href" or value.startswith("#"), value
    styles = " ".join(n.text() for n in tree.find_all("style")).lower()
    assert "url(" not in styles and "@import" not in styles and "//" not in styles
    metas = [n.attrs for n in tree.find_all("meta")]
    assert {"http-equiv": "Content-Security-Policy", "content": CSP} in metas
    return tree


def png_colours(data: bytes, step: int = 7) -> int:
    """How many distinct colours a PNG (8-bit RGB or RGBA, as Chromium writes) has, sampling
    every `step`-th pixel of every `step`-th row."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type)
    channels = 4 if colour_type == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        if y % step == 0:
            for x in range(0, width, step):
                seen.add(bytes(line[x * channels : x * channels + 3]))
        previous = line
    return len(seen)
