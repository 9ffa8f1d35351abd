"""RGB ↔ YUV 4:2:0 conversion in exact integer arithmetic, the same bits on every CPU.

FFmpeg's swscale (what ``VideoFrame.to_ndarray(format="rgb24")`` and RGB input to an encoder go through)
picks SIMD code per CPU, and its SIMD paths are not bit-exact with each other: the same clip decoded to
different pixels on another machine, and the face boxes of ``table_demo_frames`` moved. These functions
replace it for 8-bit 4:2:0 video; numpy's integer arithmetic is exact whatever its SIMD dispatch.

The arithmetic, fully defined:

* Matrices: ITU-R BT.601 (``Kr = 0.299, Kb = 0.114``) or BT.709 (``Kr = 0.2126, Kb = 0.0722``);
  limited range (Y 16-235, Cb/Cr 16-240, the video default) or full range (JPEG, ``yuvj420p``).
* Coefficients are fixed point with :data:`BITS` fractional bits, each rounded to the nearest integer
  from the exact formula (:func:`coefficients`); sums are in int32 (no overflow for 8-bit input).
* Rounding: add half, then an arithmetic right shift (round half up), once per output value; results
  clipped to 0-255.
* Encoding subsamples chroma by averaging each 2×2 block of RGB (centred chroma, as JPEG and MPEG-1;
  H.264's default siting is half a pixel to the left, which the face detector cannot tell apart).
* Decoding upsamples chroma bilinearly with centred siting: each output pixel takes 9/16 of its own
  chroma sample, 3/16 of each of the two nearest neighbours across and down, 1/16 of the diagonal one,
  edges replicated. The weights stay as integers (×16) until the single final rounding.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

#: Fractional bits of the fixed-point coefficients.
BITS = 16
#: (Kr, Kb) of each supported matrix, as exact fractions.
MATRICES = {
    "bt601": (Fraction(299, 1000), Fraction(114, 1000)),
    "bt709": (Fraction(2126, 10000), Fraction(722, 10000)),
}


def _fixed(value: Fraction) -> int:
    """``value`` × 2^BITS rounded to the nearest integer, halves away from zero (exact, no floats)."""
    scaled = value * (1 << BITS)
    magnitude = (abs(scaled.numerator) * 2 + scaled.denominator) // (2 * scaled.denominator)
    return magnitude if scaled >= 0 else -magnitude


def coefficients(matrix: str = "bt601", full_range: bool = False) -> dict[str, tuple[int, ...]]:
    """The fixed-point coefficients (×2^BITS) of ``matrix`` in limited or full range.

    ``"encode"``: (Y from R, G, B), (Cb from R, G, B), (Cr from R, G, B), for 0-255 RGB;
    ``"decode"``: (R from Y, Cr), (G from Y, Cb, Cr), (B from Y, Cb), for Y - offset and C - 128.
    """
    if matrix not in MATRICES:
        raise ValueError(f"unknown colour matrix {matrix!r}; use one of {sorted(MATRICES)}")
    kr, kb = MATRICES[matrix]
    kg = 1 - kr - kb
    y_scale = Fraction(1) if full_range else Fraction(219, 255)  # Y' 0-1 → code values
    c_scale = Fraction(1) if full_range else Fraction(224, 255)
    cb = [-kr / (2 * (1 - kb)), -kg / (2 * (1 - kb)), Fraction(1, 2)]  # Pb from R', G', B'
    cr = [Fraction(1, 2), -kg / (2 * (1 - kr)), -kb / (2 * (1 - kr))]
    encode = (
        tuple(_fixed(k * y_scale) for k in (kr, kg, kb)),
        tuple(_fixed(k * c_scale) for k in cb),
        tuple(_fixed(k * c_scale) for k in cr),
    )
    y, c = 1 / y_scale, 1 / c_scale  # code values → R'G'B' 0-255
    decode = (
        (_fixed(y), _fixed(2 * (1 - kr) * c)),
        (_fixed(y), _fixed(-2 * kb * (1 - kb) / kg * c), _fixed(-2 * kr * (1 - kr) / kg * c)),
        (_fixed(y), _fixed(2 * (1 - kb) * c)),
    )
    return {"encode": encode, "decode": decode}


def _shift_round(total: np.ndarray, bits: int) -> np.ndarray:
    """``total / 2^bits`` rounded half up, clipped to 0-255, as uint8."""
    return np.clip((total + (1 << (bits - 1))) >> bits, 0, 255).astype(np.uint8)


def rgb_to_yuv420(rgb: np.ndarray, matrix: str = "bt601") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Limited-range Y, Cb, Cr planes of an RGB uint8 image of even width and height (H×W×3)."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an H×W×3 uint8 RGB image, got shape {rgb.shape} and dtype {rgb.dtype}")
    height, width = rgb.shape[:2]
    if height % 2 or width % 2 or not height or not width:
        raise ValueError(f"4:2:0 needs an even, non-zero width and height, got {width}x{height}")
    (yr, yg, yb), cb_k, cr_k = coefficients(matrix)["encode"]
    r, g, b = (rgb[..., i].astype(np.int32) for i in range(3))
    y = _shift_round(yr * r + yg * g + yb * b, BITS) + np.uint8(16)
    # sums of each 2x2 block (0-1020): the chroma of the block's mean colour
    sums = [ch.reshape(height // 2, 2, width // 2, 2).sum(axis=(1, 3), dtype=np.int32) for ch in (r, g, b)]
    half = 128 << (BITS + 2)  # the offset 128, in the units of the sums × 2^BITS
    cb = _shift_round(half + sum(k * s for k, s in zip(cb_k, sums, strict=True)), BITS + 2)
    cr = _shift_round(half + sum(k * s for k, s in zip(cr_k, sums, strict=True)), BITS + 2)
    return y, cb, cr


def upsample_chroma(plane: np.ndarray, height: int, width: int) -> np.ndarray:
    """A chroma plane doubled in both directions (centred bilinear, edges replicated) and cropped to
    ``height`` × ``width``; int32 values ×16 (0-4080), not yet rounded."""
    c = plane.astype(np.int32)
    padded = np.pad(c, ((0, 0), (1, 1)), mode="edge")
    across = np.empty((c.shape[0], 2 * c.shape[1]), dtype=np.int32)
    across[:, 0::2] = 3 * c + padded[:, :-2]
    across[:, 1::2] = 3 * c + padded[:, 2:]
    padded = np.pad(across, ((1, 1), (0, 0)), mode="edge")
    out = np.empty((2 * c.shape[0], across.shape[1]), dtype=np.int32)
    out[0::2] = 3 * across + padded[:-2]
    out[1::2] = 3 * across + padded[2:]
    return out[:height, :width]


#: Chroma rows converted at once by :func:`yuv420_to_rgb` (a strip of an 8K frame: 256 luma rows, ~8 MB per
#: int32 intermediate instead of ~130 MB for the whole frame); strips give the same bits as one pass.
STRIP_CHROMA_ROWS = 128


def yuv420_to_rgb(
    y: np.ndarray, cb: np.ndarray, cr: np.ndarray, matrix: str = "bt601", full_range: bool = False
) -> np.ndarray:
    """RGB uint8 image (H×W×3) from 8-bit Y (H×W) and Cb, Cr planes (⌈H/2⌉×⌈W/2⌉), converted in strips of
    :data:`STRIP_CHROMA_ROWS` chroma rows (each strip upsampled with its neighbouring chroma rows, so the
    result is that of one pass over the whole image)."""
    height, width = y.shape
    if cb.shape != cr.shape or cb.shape != ((height + 1) // 2, (width + 1) // 2):
        raise ValueError(f"chroma planes {cb.shape}, {cr.shape} do not fit a {width}x{height} luma plane")
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rows = cb.shape[0]
    for first in range(0, rows, STRIP_CHROMA_ROWS):
        last = min(rows, first + STRIP_CHROMA_ROWS)
        above, below = max(0, first - 1), min(rows, last + 1)  # one neighbouring chroma row each side
        top, bottom = 2 * first, min(height, 2 * last)
        skip = 2 * (first - above)
        planes = [upsample_chroma(c[above:below], 2 * (below - above), width) for c in (cb, cr)]
        u, v = (p[skip : skip + bottom - top] - 128 * 16 for p in planes)
        rgb[top:bottom] = _yuv_to_rgb(y[top:bottom], u, v, matrix, full_range)
    return rgb


def _yuv_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray, matrix: str, full_range: bool) -> np.ndarray:
    """RGB of luma rows and their upsampled chroma (×16, centred on 0)."""
    (ry, rv), (gy, gu, gv), (by, bu) = coefficients(matrix, full_range)["decode"]
    luma = (y.astype(np.int32) - (0 if full_range else 16)) * 16  # ×16, the scale of the chroma
    rgb = np.empty((*y.shape, 3), dtype=np.uint8)
    rgb[..., 0] = _shift_round(ry * luma + rv * v, BITS + 4)
    rgb[..., 1] = _shift_round(gy * luma + gu * u + gv * v, BITS + 4)
    rgb[..., 2] = _shift_round(by * luma + bu * u, BITS + 4)
    return rgb
