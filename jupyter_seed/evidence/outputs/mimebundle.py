"""Comparison of notebook outputs (nbformat) from repeated runs, naming the first difference.

Each stream (stdout, stderr) is compared as one text, apart from the other stream and
the other outputs (its split into chunks and its place among them is timing), rendered
as a terminal shows it (:func:`.text_rules.terminal_text`) and normalised by the
volatile rules; images are compared by decoded pixels; everything else exactly.
"""

from __future__ import annotations

import base64
from typing import Any

from .text_rules import Rules, normalize_text, terminal_text
from .values import Difference, array_difference, differing_excerpts, first_difference, short_repr


def text_difference(first: str, second: str, where: str) -> Difference | None:
    """The first differing line of two texts, numbered from 1; a long line is excerpted around
    its first differing character (:func:`.values.differing_excerpts`)."""
    if first == second:
        return None
    lines_a, lines_b = first.splitlines(), second.splitlines()
    for number, (left, right) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if left != right:
            return Difference(f"{where} line {number}", *differing_excerpts(left, right))
    number = min(len(lines_a), len(lines_b)) + 1
    return Difference(
        f"{where} line {number}",
        short_repr(lines_a[number - 1]) if len(lines_a) >= number else "<end>",
        short_repr(lines_b[number - 1]) if len(lines_b) >= number else "<end>",
    )


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _without_id(view: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in view.items() if key != "model_id"}


def decode_image(data: str | bytes) -> Any:
    """Pixel data (a numpy array) of a base64 text or raw bytes image, via Pillow."""
    import io

    import numpy as np
    from PIL import Image

    raw = data if isinstance(data, bytes) else base64.b64decode("".join(data.split()))
    with Image.open(io.BytesIO(raw)) as image:
        return np.asarray(image.convert("RGBA"))


def image_difference(first: str | bytes, second: str | bytes, where: str) -> Difference | None:
    """Compare two encoded images by their decoded pixels, not their bytes (encoders embed metadata)."""
    if first == second:
        return None
    try:
        pixels_a, pixels_b = decode_image(first), decode_image(second)
    except Exception as error:  # noqa: BLE001 - undecodable: fall back to the encoded bytes
        return Difference(where, "image data differs", f"(not decodable: {error})")
    if pixels_a.shape != pixels_b.shape:
        return Difference(
            f"{where} size",
            f"{pixels_a.shape[1]}x{pixels_a.shape[0]}",
            f"{pixels_b.shape[1]}x{pixels_b.shape[0]}",
        )
    found = array_difference(pixels_a, pixels_b, f"{where} pixel")
    return found


def mimebundle_difference(
    first: dict[str, Any],
    second: dict[str, Any],
    where: str,
    rules: Rules | None = None,
) -> Difference | None:
    """Compare two display data bundles: images by pixels, text normalised, the rest exactly."""
    if first.keys() != second.keys():
        return Difference(f"{where} types", ", ".join(sorted(first)), ", ".join(sorted(second)))
    for mime in sorted(first):
        a, b = first[mime], second[mime]
        if mime in IMAGE_TYPES:
            found = image_difference(a, b, f"{where} {mime}")
        elif isinstance(a, (str, list)) and isinstance(b, (str, list)):
            text_a = a if isinstance(a, str) else "".join(a)
            text_b = b if isinstance(b, str) else "".join(b)
            if mime == "text/plain":
                text_a, text_b = terminal_text(text_a), terminal_text(text_b)
            found = text_difference(
                normalize_text(text_a, rules), normalize_text(text_b, rules), f"{where} {mime}"
            )
        elif mime == WIDGET_VIEW and isinstance(a, dict) and isinstance(b, dict):
            # A widget's model id is a fresh uuid4 per run; what it shows travels over comms, not here.
            found = first_difference(_without_id(a), _without_id(b), f"{where} {mime}")
        else:
            found = first_difference(a, b, f"{where} {mime}")
        if found is not None:
            return found
    return None


def output_difference(
    first: dict[str, Any],
    second: dict[str, Any],
    where: str,
    rules: Rules | None = None,
) -> Difference | None:
    """Compare two nbformat outputs; execution counts, metadata and display ids are ignored."""
    kind = first.get("output_type")
    if kind != second.get("output_type"):
        return Difference(f"{where} type", str(kind), str(second.get("output_type")))
    if kind == "stream":
        if first.get("name") != second.get("name"):
            return Difference(f"{where} stream", str(first.get("name")), str(second.get("name")))
        return text_difference(
            normalize_text(terminal_text(_joined(first.get("text", ""))), rules),
            normalize_text(terminal_text(_joined(second.get("text", ""))), rules),
            f"{where} {first.get('name')}",
        )
    if kind == "error":
        return text_difference(
            normalize_text(f"{first.get('ename')}: {first.get('evalue')}", rules),
            normalize_text(f"{second.get('ename')}: {second.get('evalue')}", rules),
            f"{where} error",
        )
    return mimebundle_difference(first.get("data", {}), second.get("data", {}), where, rules)


def outputs_difference(
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
    where: str,
    rules: Rules | None = None,
) -> Difference | None:
    """Compare a cell's output lists as JupyterLab shows them.

    Each stream (stdout, stderr) is compared as one text on its own: the kernel sends
    each through its own thread, so where a stderr chunk falls among stdout chunks (and
    how either is split into chunks) is a race, not a result. Every other output is
    compared in order, numbered by its place among the outputs of ``first`` as
    JupyterLab shows them (consecutive chunks of one stream merged). Execution counts,
    metadata and display ids are ignored.
    """
    streams_a, others_a = _split_streams(first)
    streams_b, others_b = _split_streams(second)
    for name in sorted(set(streams_a) | set(streams_b), key=_stream_order):
        found = text_difference(
            normalize_text(terminal_text(streams_a.get(name, "")), rules),
            normalize_text(terminal_text(streams_b.get(name, "")), rules),
            f"{where} {name}",
        )
        if found is not None:
            return found
    for (position, left), (_, right) in zip(others_a, others_b, strict=False):
        found = output_difference(left, right, f"{where} output {position}", rules)
        if found is not None:
            return found
    if len(others_a) != len(others_b):
        return Difference(f"{where} number of outputs", str(len(others_a)), str(len(others_b)))
    return None


def _joined(text: str | list[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _stream_order(name: str) -> tuple[int, str]:
    return ({"stdout": 0, "stderr": 1}.get(name, 2), name)


def _split_streams(outputs: list[dict[str, Any]]) -> tuple[dict[str, str], list[tuple[int, dict[str, Any]]]]:
    """Each stream's whole text, and the other outputs with their 1-based place as JupyterLab shows them."""
    texts: dict[str, list[str]] = {}
    others: list[tuple[int, dict[str, Any]]] = []
    position, previous_stream = 0, None
    for output in outputs:
        if output.get("output_type") == "stream":
            name = str(output.get("name"))
            texts.setdefault(name, []).append(_joined(output.get("text", "")))
            if name != previous_stream:
                position += 1  # JupyterLab merges consecutive chunks of one stream into one output
            previous_stream = name
        else:
            position += 1
            previous_stream = None
            others.append((position, output))
    return {name: "".join(chunks) for name, chunks in texts.items()}, others
