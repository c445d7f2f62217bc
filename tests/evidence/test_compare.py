"""Exact comparison and output normalisation (pure logic, real numpy/torch values)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import torch

from jupyter_seed.evidence.outputs.mimebundle import image_difference, outputs_difference
from jupyter_seed.evidence.outputs.text_rules import normalize_text, volatile_rules
from jupyter_seed.evidence.outputs.values import Difference, first_difference


def test_equal_values_have_no_difference() -> None:
    value = {"a": [1, 2.5, float("nan")], "b": (np.arange(6).reshape(2, 3), torch.ones(3)), "c": "x"}
    twin = {"a": [1, 2.5, float("nan")], "b": (np.arange(6).reshape(2, 3), torch.ones(3)), "c": "x"}
    assert first_difference(value, twin) is None


def test_numpy_array_names_first_differing_element() -> None:
    a = np.zeros((3, 4))
    b = a.copy()
    b[1, 2] = 0.5
    b[2, 0] = 1.0
    found = first_difference(a, b, "x")
    assert isinstance(found, Difference)
    assert found.where.startswith("x[1, 2]")
    assert "first of 2" in found.where
    assert (found.first, found.second) == ("0.0", "0.5")


def test_nan_at_same_position_is_equal_but_not_elsewhere() -> None:
    assert first_difference(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])) is None
    assert first_difference(np.array([np.nan, 1.0]), np.array([1.0, 1.0])) is not None


def test_dtype_and_shape_differences() -> None:
    assert "dtype" in first_difference(np.zeros(3), np.zeros(3, dtype=np.float32)).where  # type: ignore[union-attr]
    assert "shape" in first_difference(np.zeros(3), np.zeros(4)).where  # type: ignore[union-attr]


def test_torch_tensors_compared_exactly() -> None:
    torch.manual_seed(0)
    a = torch.randn(5)
    b = a.clone()
    b[3] += 1e-7
    found = first_difference(a, b, "t")
    assert found is not None and found.where.startswith("t[3]")
    assert first_difference(torch.ones(2, dtype=torch.bfloat16), torch.ones(2, dtype=torch.bfloat16)) is None
    assert first_difference(a.requires_grad_(), a.detach().clone().requires_grad_()) is None


def test_containers_name_the_path() -> None:
    found = first_difference({"loss": [1.0, 2.0]}, {"loss": [1.0, 2.5]}, "m")
    assert found is not None and found.where == "m['loss'][1]"
    assert first_difference([1, 2], [1, 2, 3]).where == "len(value)"  # type: ignore[union-attr]
    assert "keys" in first_difference({"a": 1}, {"b": 1}).where  # type: ignore[union-attr]


def test_objects_without_eq_are_compared_by_members() -> None:
    torch.manual_seed(1)
    first = torch.nn.Linear(3, 2)
    torch.manual_seed(1)
    second = torch.nn.Linear(3, 2)
    assert first_difference(first, second) is None
    torch.manual_seed(2)
    third = torch.nn.Linear(3, 2)
    found = first_difference(first, third, "model")
    assert found is not None and "weight" in found.where


def test_numpy_generators_compared_by_state() -> None:
    assert first_difference(np.random.default_rng(1), np.random.default_rng(1)) is None
    assert first_difference(np.random.default_rng(1), np.random.default_rng(2)) is not None


def test_functions_redefined_are_equal() -> None:
    def make() -> object:
        def f() -> int:
            return 1

        return f

    assert first_difference(make(), make()) is None


def test_volatile_text_normalised() -> None:
    text = "<Obj at 0x7f3a2b1c> took 1.23 s at 2024-05-01T12:00:03.5Z"
    other = "<Obj at 0x7f00aa11> took 0.98 s at 2026-11-22T10:59:00Z"
    assert normalize_text(text) == normalize_text(other)
    assert normalize_text("value 0.5") != normalize_text("value 0.6")


def test_ignore_rules_and_bad_regex() -> None:
    rules = volatile_rules([r"run-[a-z]+"])
    assert normalize_text("run-abc", rules) == normalize_text("run-xyz", rules)
    with pytest.raises(ValueError, match="not a valid regular expression"):
        volatile_rules(["("])


def _png(pixels: np.ndarray, **info: str) -> str:
    from PIL import Image, PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=meta)
    return base64.b64encode(buffer.getvalue()).decode()


def test_images_compared_by_pixels_not_bytes() -> None:
    pixels = np.zeros((4, 5, 3), dtype=np.uint8)
    same_pixels_other_bytes = _png(pixels, Software="other"), _png(pixels, Software="matplotlib")
    assert same_pixels_other_bytes[0] != same_pixels_other_bytes[1]
    assert image_difference(*same_pixels_other_bytes, "img") is None
    changed = pixels.copy()
    changed[2, 3] = 255
    found = image_difference(_png(pixels), _png(changed), "img")
    assert found is not None and "[2, 3" in found.where


def test_outputs_merge_stream_chunks_and_ignore_counts() -> None:
    first = [
        {"output_type": "stream", "name": "stdout", "text": "a\n"},
        {"output_type": "stream", "name": "stdout", "text": "b\n"},
        {"output_type": "execute_result", "execution_count": 3, "data": {"text/plain": "1"}, "metadata": {}},
    ]
    second = [
        {"output_type": "stream", "name": "stdout", "text": "a\nb\n"},
        {"output_type": "execute_result", "execution_count": 9, "data": {"text/plain": "1"}, "metadata": {}},
    ]
    assert outputs_difference(first, second, "cell 1") is None
    second[1]["data"] = {"text/plain": "2"}
    found = outputs_difference(first, second, "cell 1")
    assert found is not None and found.where == "cell 1 output 2 text/plain line 1"

