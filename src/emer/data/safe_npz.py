"""Load the released ``.npz`` files without executing code.

Several released files store Python dicts as pickled object arrays. ``np.load(allow_pickle=True)``
would run whatever the pickle asks for; this loader reads the ``.npy`` members itself and unpickles
with an allow-list: plain containers, strings, numbers and numpy arrays/scalars. Anything else is
refused with :class:`UnsafePickleError`.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("builtins", "dict"),
    ("builtins", "list"),
    ("builtins", "tuple"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "str"),
    ("builtins", "bytes"),
    ("builtins", "int"),
    ("builtins", "float"),
    ("builtins", "complex"),
    ("builtins", "bool"),
    ("collections", "OrderedDict"),
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for something outside the allow-list."""


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(f"refused to load {module}.{name}")
        module = module.replace("numpy.core.", "numpy._core.")
        return super().find_class(module, name)


def _read_npy(raw: bytes, where: str) -> np.ndarray:
    stream = io.BytesIO(raw)
    version = npy_format.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(stream)
    else:
        shape, _, dtype = npy_format.read_array_header_2_0(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.load(stream, allow_pickle=False)
    try:
        array = _RestrictedUnpickler(stream).load()
    except UnsafePickleError as exc:
        raise UnsafePickleError(
            f"{where}: {exc}. The file holds a pickle that would run code or build unknown objects; "
            "it is not one of the released files. Delete it and fetch the data again."
        ) from None
    if not isinstance(array, np.ndarray) or array.shape != shape:
        raise UnsafePickleError(f"{where}: the pickle does not hold an array of shape {shape}")
    return array


def load_npz(path: str | Path) -> dict[str, object]:
    """All arrays of an ``.npz`` file by key; 0-d object arrays are unwrapped to their Python value."""
    out: dict[str, object] = {}
    with zipfile.ZipFile(path) as z:
        for member in sorted(z.namelist()):
            key = member.removesuffix(".npy")
            array = _read_npy(z.read(member), f"{path} [{key}]")
            out[key] = array.item() if array.dtype.hasobject and array.shape == () else array
    return out
