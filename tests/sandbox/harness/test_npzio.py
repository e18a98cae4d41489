"""The array format that crosses the sandbox: NumPy's .npy records in a framing of its own, read
with NumPy's header reader, never unpickled, every field bounded."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

from autograder.sandbox.harness import npzio


def record(name: str, array: np.ndarray, allow_pickle: bool = False) -> bytes:
    member = io.BytesIO()
    np.lib.format.write_array(member, array, allow_pickle=allow_pickle)
    return struct.pack("<I", len(name.encode())) + name.encode() + member.getvalue()


def test_arrays_come_back_as_they_went_in():
    arrays = {
        "a/Y": np.arange(12.0).reshape(3, 4), "b": np.float64(2.5), "c": np.array([True, False]),
        "d": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "e": np.arange(5, dtype=np.int32), "f": np.zeros((0, 3)),
    }
    back = npzio.unpack(npzio.pack(arrays))
    assert list(back) == list(arrays)
    for name, array in arrays.items():
        assert back[name].dtype == array.dtype and back[name].shape == np.shape(array) and np.array_equal(back[name], array)
    assert back["d"].flags.f_contiguous and not back["a/Y"].flags.writeable


def test_archives_round_trip_and_are_reproducible():
    arrays = {"x": np.arange(4.0), "t": np.array("text")}
    data = npzio.write_npz(arrays)
    assert data == npzio.write_npz(arrays)
    back = npzio.read_npz(data, kinds="biufU")
    assert np.array_equal(back["x"], arrays["x"]) and str(back["t"]) == "text"
    with pytest.raises(ValueError, match="not allowed"):
        npzio.read_npz(data)  # text is refused unless asked for


@pytest.mark.parametrize("data, problem", [
    (record("x", np.array([1, "a"], dtype=object), allow_pickle=True), "not allowed"),
    (record("x", np.arange(3.0))[:-4], "shorter than its header"),
    (struct.pack("<I", 1) + b"x" + b"NOTNPY" + b"\x00" * 20, "not a .npy record"),
    (struct.pack("<I", 5000) + b"x", "bad record name"),
    (record("x", np.arange(3.0)).replace(b"\x93NUMPY\x01", b"\x93NUMPY\x07"), "unknown .npy version"),
    (record("x", np.arange(3.0)).replace(b"'descr': '<f8'", b"'descr': '<zz'"), "unexpected .npy header"),
    (record("x", np.zeros(10)), "too many"),
])
def test_anything_else_is_refused(data, problem):
    with pytest.raises(ValueError, match=problem):
        npzio.unpack(data, max_elements=5)


def test_a_header_seen_before_is_parsed_once():
    npzio.parsed_header.cache_clear()
    npzio.unpack(npzio.pack({f"case{i}": np.zeros((6, 4)) for i in range(50)}))
    info = npzio.parsed_header.cache_info()
    assert info.misses == 1 and info.hits == 49
