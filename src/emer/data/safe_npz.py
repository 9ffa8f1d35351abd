"""Load the released ``.npz`` files without executing code, within documented size limits.

Several released files store Python dicts as pickled object arrays. ``np.load(allow_pickle=True)``
would run whatever the pickle asks for; this loader reads the ``.npy`` members itself and unpickles
with an allow-list: plain containers, strings, numbers and numpy arrays/scalars. Anything else is
refused with :class:`UnsafePickleError`.

What a file may build is capped (:data:`LIMITS`), so a crafted file cannot exhaust memory either:
each member's decompressed size and the file's total (zip bombs), the opcodes of a pickle (checked
before anything is built), the bytes a single constructor call may allocate, and, once built, the
nesting depth, the size of any one container and the total count of elements and string bytes
(shared references count each time they are reached). The released files use well under 1 % of each
limit. A file that breaks a limit or is malformed (not a zip, truncated, a member that is not
``.npy``, a pickle with bad opcodes) raises a :class:`~emer.data.DataError` naming the file.
"""

from __future__ import annotations

import io
import math
import pickle
import pickletools
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from emer.data.store import DataError

#: Caps on what one ``.npz`` file may hold. Across the 62 released files the largest member decompresses
#: to 1.8 MB and the most any member builds is 24,352 elements, 0.86 M string characters, one container of
#: 14,712 items, nested 4 deep: every limit leaves a margin of 100x or more.
LIMITS = {
    "member_bytes": 256 * 2**20,  # decompressed size of one .npy member
    "file_bytes": 1024 * 2**20,  # decompressed size of all members together
    "pickle_opcodes": 20_000_000,  # opcodes of one pickled member
    "alloc_bytes": 256 * 2**20,  # bytes one array/bytes constructor in a pickle may allocate
    "elements": 10_000_000,  # objects built, counted at every reference (numeric arrays: their size)
    "string_bytes": 256 * 2**20,  # characters of str plus bytes of bytes, counted at every reference
    "container_items": 5_000_000,  # items of any one list, tuple, dict, set or object array
    "depth": 64,  # nesting depth of containers
}
_REFETCH = "Delete it and fetch the data again (`emer fetch`), or pass the file the project released."


class UnsafePickleError(DataError):
    """A pickle asked for something outside the allow-list, or for more than :data:`LIMITS` allow."""


class _CheckedNdarray:
    """Stands for ``numpy.ndarray`` in a pickle: builds a plain array once its size is checked."""

    def __new__(cls, shape=(), dtype=float, *args, **kwargs):
        _check_alloc(shape, np.dtype(dtype).itemsize)
        return np.ndarray(shape, dtype, *args, **kwargs)


def _checked_reconstruct(subtype, shape, dtype, *args):
    if subtype is not _CheckedNdarray:
        raise UnsafePickleError(f"refused to reconstruct an array of type {subtype!r}")
    _check_alloc(shape, np.dtype(dtype).itemsize)
    return np.ndarray.__new__(np.ndarray, shape, dtype)


def _checked_dtype(*args, **kwargs):
    dtype = np.dtype(*args, **kwargs)
    _check_alloc((), dtype.itemsize)
    return dtype


def _checked_bytes(*args):
    if args and isinstance(args[0], int) and not isinstance(args[0], bool):
        _check_alloc((), args[0])
    return bytes(*args)


def _check_alloc(shape, itemsize: int) -> None:
    dims = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, int | np.integer) and d >= 0 for d in dims):
        raise UnsafePickleError(f"an array shape {dims!r} is not a tuple of non-negative integers")
    size = math.prod(int(d) for d in dims) * int(itemsize)
    if size > LIMITS["alloc_bytes"]:
        raise UnsafePickleError(f"an allocation of {size} bytes exceeds the limit of {LIMITS['alloc_bytes']}")


_ALLOWED = {
    ("numpy", "ndarray"): _CheckedNdarray,
    ("numpy", "dtype"): _checked_dtype,
    ("numpy.core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _checked_reconstruct,
    ("numpy.core.multiarray", "scalar"): None,
    ("numpy._core.multiarray", "scalar"): None,
    ("builtins", "dict"): dict,
    ("builtins", "list"): list,
    ("builtins", "tuple"): tuple,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "str"): str,
    ("builtins", "bytes"): _checked_bytes,
    ("builtins", "int"): int,
    ("builtins", "float"): float,
    ("builtins", "complex"): complex,
    ("builtins", "bool"): bool,
    ("collections", "OrderedDict"): None,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(
                f"refused to load {module}.{name}. The file holds a pickle that would run code or build "
                "unknown objects; it is not one of the released files"
            )
        checked = _ALLOWED[(module, name)]
        if checked is not None:
            return checked
        return super().find_class(module.replace("numpy.core.", "numpy._core."), name)


def _scan_opcodes(raw: bytes, start: int) -> None:
    """Walk the pickle's opcodes without building anything: bad opcodes and oversized pickles stop here."""
    count = 0
    try:
        for _ in pickletools.genops(io.BytesIO(raw[start:])):
            count += 1
            if count > LIMITS["pickle_opcodes"]:
                raise UnsafePickleError(f"the pickle has more than {LIMITS['pickle_opcodes']} opcodes")
    except (ValueError, EOFError, UnicodeDecodeError) as exc:
        raise UnsafePickleError(f"the pickle is malformed ({exc})") from None


def _check_built(value: object) -> None:
    """Depth, container sizes, element and string totals of what a pickle built (iterative walk)."""
    elements = strings = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        elements += 1
        if isinstance(item, str | bytes):
            strings += len(item)
            if strings > LIMITS["string_bytes"]:
                raise UnsafePickleError(f"the strings exceed {LIMITS['string_bytes']} characters in total")
            continue
        if isinstance(item, np.ndarray) and not item.dtype.hasobject:
            elements += item.size
            children: list = []
        elif isinstance(item, np.ndarray):
            children = list(item.flat)
        elif isinstance(item, dict):
            children = [part for pair in item.items() for part in pair]
        elif isinstance(item, list | tuple | set | frozenset):
            children = list(item)
        else:
            children = []
        if elements > LIMITS["elements"]:
            raise UnsafePickleError(f"the pickle builds more than {LIMITS['elements']} elements")
        if not children:
            continue
        if len(children) > LIMITS["container_items"] * (2 if isinstance(item, dict) else 1):
            raise UnsafePickleError(f"a container holds more than {LIMITS['container_items']} items")
        if depth >= LIMITS["depth"]:
            raise UnsafePickleError(f"containers are nested more than {LIMITS['depth']} deep")
        stack.extend((child, depth + 1) for child in children)


def _check_data_size(shape: tuple, dtype: np.dtype, available: int, where: str) -> None:
    """Refuse a header whose shape needs other than the bytes the member holds (numpy would allocate the
    claimed size before reading: a header claiming 10^12 floats asks for 7 TiB)."""
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise DataError(f"{where}: the .npy header has an invalid shape {shape!r}. {_REFETCH}")
    needed = math.prod(shape) * dtype.itemsize
    if needed != available:
        raise DataError(
            f"{where}: the array data is truncated or malformed: the .npy header claims shape {shape} of "
            f"{dtype} ({needed} bytes), the member holds {available} bytes. {_REFETCH}"
        )


def _read_npy(raw: bytes, where: str) -> np.ndarray:
    stream = io.BytesIO(raw)
    try:
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, _, dtype = npy_format.read_array_header_1_0(stream)
        else:
            shape, _, dtype = npy_format.read_array_header_2_0(stream)
    except (ValueError, EOFError) as exc:
        raise DataError(f"{where}: not a valid .npy member ({exc}). {_REFETCH}") from None
    if not dtype.hasobject:
        _check_data_size(shape, dtype, len(raw) - stream.tell(), where)
        stream.seek(0)
        try:
            return np.load(stream, allow_pickle=False)
        except (ValueError, EOFError, OSError, MemoryError) as exc:
            raise DataError(
                f"{where}: the array data is truncated or malformed ({exc}). {_REFETCH}"
            ) from None
    try:
        _scan_opcodes(raw, stream.tell())
        array = _RestrictedUnpickler(stream).load()
        if not isinstance(array, np.ndarray) or array.shape != shape:
            raise UnsafePickleError(f"the pickle does not hold an array of shape {shape}")
        _check_built(array)
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{where}: {exc}. {_REFETCH}") from None
    except (
        pickle.UnpicklingError,
        ValueError,
        TypeError,
        EOFError,
        IndexError,
        KeyError,
        MemoryError,
    ) as exc:
        raise UnsafePickleError(
            f"{where}: the pickle is malformed ({type(exc).__name__}: {exc}). {_REFETCH}"
        ) from None
    return array


def _read_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    limit = LIMITS["member_bytes"]
    if info.file_size > limit:
        raise DataError(
            f"{where}: decompresses to {info.file_size} bytes, over the limit of {limit}. {_REFETCH}"
        )
    with z.open(info) as member:
        raw = member.read(limit + 1)  # the declared size may lie: never read past the limit
    if len(raw) > limit:
        raise DataError(f"{where}: decompresses to more than {limit} bytes. {_REFETCH}")
    return raw


def load_npz(path: str | Path) -> dict[str, object]:
    """All arrays of an ``.npz`` file by key; 0-d object arrays are unwrapped to their Python value."""
    out: dict[str, object] = {}
    total = 0
    try:
        with zipfile.ZipFile(path) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                key = info.filename.removesuffix(".npy")
                where = f"{path} [{key}]"
                if not info.filename.endswith(".npy"):
                    raise DataError(f"{path}: member {info.filename!r} is not a .npy array. {_REFETCH}")
                raw = _read_member(z, info, where)
                total += len(raw)
                if total > LIMITS["file_bytes"]:
                    raise DataError(
                        f"{path}: decompresses to more than {LIMITS['file_bytes']} bytes. {_REFETCH}"
                    )
                array = _read_npy(raw, where)
                out[key] = array.item() if array.dtype.hasobject and array.shape == () else array
    except FileNotFoundError:
        raise DataError(f"{path}: no such file. Run `emer fetch` or set EMER_DATA_DIR.") from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
    ) as exc:
        raise DataError(f"{path}: not a readable .npz (zip) file ({exc}). {_REFETCH}") from None
    return out
