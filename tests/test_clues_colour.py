"""RGB ↔ YUV 4:2:0 in exact integer arithmetic (emer.clues.colour) and its use by media.py: decoding and
encoding never go through FFmpeg's swscale for 8-bit 4:2:0 video, so pixels are the same on every CPU."""

from __future__ import annotations

import numpy as np
import pytest

from emer.clues import colour
from emer.clues.media import frame_to_rgb, read_audio, read_frames, write_clip, yuv_frame

av = pytest.importorskip("av")

KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722)}


def float_rgb(y, cb, cr, matrix, full_range):
    """Reference: the textbook float formula, chroma constant per pixel, rounded and clipped."""
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    if full_range:
        luma, pb, pr = y.astype(float), cb - 128.0, cr - 128.0
    else:
        luma, pb, pr = (y - 16.0) * 255 / 219, (cb - 128.0) * 255 / 224, (cr - 128.0) * 255 / 224
    r = luma + 2 * (1 - kr) * pr
    g = luma - 2 * kb * (1 - kb) / kg * pb - 2 * kr * (1 - kr) / kg * pr
    b = luma + 2 * (1 - kb) * pb
    return np.clip(np.floor(np.stack([r, g, b], axis=-1) + 0.5), 0, 255).astype(int)


def float_yuv(rgb):
    """Reference limited-range BT.601 Y, Cb, Cr (per pixel, no subsampling) in floats."""
    r, g, b = (rgb[..., i].astype(float) for i in range(3))
    y = 16 + (0.299 * r + 0.587 * g + 0.114 * b) * 219 / 255
    cb = 128 + (b - (0.299 * r + 0.587 * g + 0.114 * b)) / (2 * (1 - 0.114)) * 224 / 255
    cr = 128 + (r - (0.299 * r + 0.587 * g + 0.114 * b)) / (2 * (1 - 0.299)) * 224 / 255
    return y, cb, cr


def planes(frame):
    return [np.frombuffer(p, np.uint8).reshape(p.height, p.line_size)[:, : p.width] for p in frame.planes]


@pytest.mark.parametrize("matrix", ["bt601", "bt709"])
@pytest.mark.parametrize("full_range", [False, True])
def test_decode_matches_the_float_formula_on_a_grid(matrix, full_range):
    # every (Y, Cb, Cr) on a grid of steps of 3, in one row: each chroma value three times over, so the
    # two luma pixels under the middle one see that chroma only
    grid = np.arange(0, 256, 3, dtype=np.uint8)
    yy, uu, vv = (a.ravel() for a in np.meshgrid(grid, grid, grid, indexing="ij"))
    cb, cr = np.repeat(uu, 3)[None, :], np.repeat(vv, 3)[None, :]
    y = np.repeat(np.repeat(yy, 6)[None, :], 2, 0)
    ours = colour.yuv420_to_rgb(y, cb, cr, matrix, full_range)[0].reshape(-1, 6, 3)[:, 2:4].astype(int)
    ref = float_rgb(yy[:, None], uu[:, None], vv[:, None], matrix, full_range)
    diff = np.abs(ours - ref)
    assert diff.max() <= 1  # fixed-point coefficients: off by one only next to a rounding tie
    assert (diff == 0).mean() > 0.999


def test_chroma_upsampling_is_centred_bilinear():
    rng = np.random.default_rng(4)
    plane = rng.integers(0, 256, (5, 7), dtype=np.uint8)
    ours = colour.upsample_chroma(plane, 9, 13)  # odd output size: the last row and column cropped

    def axis(n_out, n_in):  # output pixel i sits at chroma coordinate i/2 - 1/4, clamped at the edges
        return np.clip(np.arange(n_out) / 2 - 0.25, 0, n_in - 1)

    rows = np.array([np.interp(axis(13, 7), np.arange(7), r) for r in plane.astype(float)])
    ref = np.array([np.interp(axis(9, 5), np.arange(5), c) for c in rows.T]).T
    assert ours.shape == (9, 13)
    assert np.array_equal(ours, np.round(ref * 16).astype(int))  # exact: weights are sixteenths


def test_encode_matches_the_float_formula():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, size=(64, 80, 3), dtype=np.uint8)
    y, cb, cr = colour.rgb_to_yuv420(rgb)
    ref_y, ref_cb, ref_cr = float_yuv(rgb)
    assert np.abs(y - np.floor(ref_y + 0.5)).max() <= 1
    assert (y == np.floor(ref_y + 0.5)).mean() > 0.999
    block = lambda a: a.reshape(32, 2, 40, 2).mean(axis=(1, 3))  # noqa: E731 - chroma of 2x2 blocks
    for ours, ref in ((cb, block(ref_cb)), (cr, block(ref_cr))):
        assert np.abs(ours - np.floor(ref + 0.5)).max() <= 1
        assert (ours == np.floor(ref + 0.5)).mean() > 0.999


def test_coefficients_are_the_rounded_exact_values():
    (yr, yg, yb), _, _ = colour.coefficients("bt601")["encode"]
    assert (yr, yg, yb) == tuple(round(k * 219 / 255 * 65536) for k in (0.299, 0.587, 0.114))
    (ry, rv), _, (by, bu) = colour.coefficients("bt601")["decode"]
    assert (ry, rv, by, bu) == (76309, 104597, 76309, 132201)  # 1.164384, 1.596027, 2.017232 × 2^16


def test_round_trip_error_bounds():
    rng = np.random.default_rng(2)
    # colour constant over 6x6 blocks: the 2x2 pixels at each block's centre lose nothing to subsampling
    # and upsampling, only quantisation remains
    blocks = rng.integers(0, 256, size=(20, 25, 3), dtype=np.uint8)
    rgb = np.repeat(np.repeat(blocks, 6, 0), 6, 1)
    back = colour.yuv420_to_rgb(*colour.rgb_to_yuv420(rgb)).astype(int)
    centres = (back - rgb).reshape(20, 6, 25, 6, 3)[:, 2:4, :, 2:4]
    err = np.abs(centres)
    assert err.max() <= 3 and err.mean() < 1.0
    # a natural, smooth image: small errors on average
    from emer.clues.demo import portrait

    image = portrait()
    back = colour.yuv420_to_rgb(*colour.rgb_to_yuv420(image)).astype(int)
    assert np.abs(back - image).mean() < 2.0


def test_odd_sizes_and_bad_input():
    y = np.full((5, 7), 120, np.uint8)
    c = np.full((3, 4), 128, np.uint8)
    out = colour.yuv420_to_rgb(y, c, c)
    assert out.shape == (5, 7, 3) and (out == round((120 - 16) * 255 / 219)).all()
    with pytest.raises(ValueError, match="do not fit"):
        colour.yuv420_to_rgb(y, c[:2], c[:2])
    with pytest.raises(ValueError, match="even"):
        colour.rgb_to_yuv420(np.zeros((5, 6, 3), np.uint8))
    with pytest.raises(ValueError, match="unknown colour matrix"):
        colour.coefficients("bt2020")


def test_decoded_frames_are_the_numpy_conversion_of_their_planes(tmp_path):
    from emer.clues.demo import make_clip

    path = make_clip(tmp_path / "c.mp4", seconds=1.0, fps=10, size=(160, 120))
    _, frames = read_frames(path, np.array([0.0, 0.5]), skip_nonref=False)
    with av.open(str(path)) as container:
        decoded = list(container.decode(container.streams.video[0]))
    assert decoded[0].format.name == "yuv420p"
    for got, frame in zip(frames, (decoded[0], decoded[5]), strict=True):
        expected = colour.yuv420_to_rgb(*planes(frame), "bt601", False)
        assert np.array_equal(got, expected)
        # swscale's conversion gives other bits (it rounds differently): the test can tell them apart
        assert not np.array_equal(got, frame.to_ndarray(format="rgb24"))


@pytest.mark.parametrize(
    ("fmt", "colorspace", "color_range", "matrix", "full"),
    [
        ("yuv420p", 6, 1, "bt601", False),
        ("yuv420p", 2, 0, "bt601", False),
        ("yuv420p", 1, 1, "bt709", False),
        ("yuv420p", 5, 2, "bt601", True),
        ("yuvj420p", 5, 0, "bt601", True),
    ],
)
def test_frame_to_rgb_follows_the_frames_matrix_and_range(fmt, colorspace, color_range, matrix, full):
    rng = np.random.default_rng(3)
    y = rng.integers(16, 236, (48, 64), dtype=np.uint8)
    cb = rng.integers(16, 241, (24, 32), dtype=np.uint8)
    cr = rng.integers(16, 241, (24, 32), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(
        np.concatenate([y.ravel(), cb.ravel(), cr.ravel()]).reshape(-1, 64), format=fmt
    )
    frame.colorspace, frame.color_range = colorspace, color_range
    ours = frame_to_rgb(frame)
    assert np.array_equal(ours, colour.yuv420_to_rgb(y, cb, cr, matrix, full))
    # the same colours FFmpeg means (its chroma upsampling differs, so compare flat chroma only)
    flat = av.VideoFrame.from_ndarray(
        np.concatenate([y.ravel(), np.full(2 * cb.size, 0, np.uint8)]).reshape(-1, 64), format=fmt
    )
    flat.planes[1].update(np.full(cb.size, 90, np.uint8).tobytes())
    flat.planes[2].update(np.full(cb.size, 170, np.uint8).tobytes())
    flat.colorspace, flat.color_range = colorspace, color_range
    assert np.abs(frame_to_rgb(flat).astype(int) - flat.to_ndarray(format="rgb24")).max() <= 3


def test_other_pixel_formats_keep_the_swscale_path():
    frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), 77, np.uint8), format="rgb24").reformat(
        format="yuv444p"
    )
    assert np.array_equal(frame_to_rgb(frame), frame.to_ndarray(format="rgb24"))


def test_encoding_hands_the_numpy_planes_to_the_encoder(tmp_path):
    from emer.clues.demo import camera_frames, portrait

    frames = camera_frames(portrait(), 3, size=(161, 121), leave_at=1.0)  # odd size: cropped to even
    frame = yuv_frame(frames[0][:120, :160])
    assert frame.format.name == "yuv420p" and (frame.colorspace, frame.color_range) == (6, 1)
    for got, want in zip(planes(frame), colour.rgb_to_yuv420(frames[0][:120, :160]), strict=True):
        assert np.array_equal(got, want)
    path = write_clip(tmp_path / "c.mp4", frames, 10)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.pix_fmt, stream.width, stream.height) == ("yuv420p", 160, 120)
        first = next(container.decode(stream))
        assert (first.colorspace, first.color_range) == (6, 1)  # the file says BT.601, limited range
        # lossy H.264, but close to the planes we computed (a wrong matrix or range would be far off)
        y = planes(first)[0].astype(int)
        assert np.abs(y - colour.rgb_to_yuv420(frames[0][:120, :160])[0]).mean() < 4.0
    assert write_clip(tmp_path / "d.mp4", frames, 10).read_bytes() == path.read_bytes()


def test_h264_clips_do_not_depend_on_the_cpu(tmp_path, monkeypatch):
    from emer.clues import media
    from emer.clues.demo import camera_frames, portrait

    frames = camera_frames(portrait(), 30, size=(240, 180))
    default = write_clip(tmp_path / "a.mp4", frames, 25).read_bytes()
    vcodec, acodec, options = media.CLIP_CODECS[""]
    # x264 without any assembly (what its C code computes): the same file
    c_only = dict(options, **{"x264-params": options["x264-params"] + ":asm=0"})
    monkeypatch.setitem(media.CLIP_CODECS, "", (vcodec, acodec, c_only))
    assert write_clip(tmp_path / "b.mp4", frames, 25).read_bytes() == default


DECODE_ON_AN_OLDER_CPU = """
import ctypes, glob, os, sys
import av, numpy as np
libs = glob.glob(os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs", "libavutil-*.so*"))
if not libs:
    sys.exit(3)
ctypes.CDLL(libs[0]).av_force_cpu_flags(0x101B)  # FFmpeg limited to an SSE2 CPU: MMX, MMXEXT, SSE, SSE2, CMOV
from emer.clues.media import read_frames
_, frames = read_frames(sys.argv[1], np.array([0.0, 0.5, 0.9]), skip_nonref=False)
np.save(sys.argv[2], np.stack(frames))
"""


def test_decoded_pixels_do_not_depend_on_ffmpegs_cpu_flags(tmp_path):
    import os
    import subprocess
    import sys

    from emer.clues.demo import make_clip

    path = make_clip(tmp_path / "c.mp4", seconds=1.0, fps=10, size=(320, 240))
    _, frames = read_frames(path, np.array([0.0, 0.5, 0.9]), skip_nonref=False)
    out = tmp_path / "older.npy"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, "-c", DECODE_ON_AN_OLDER_CPU, str(path), str(out)], env=env, check=False
    )
    if done.returncode == 3:
        pytest.skip("PyAV is not the wheel with FFmpeg in av.libs")
    assert done.returncode == 0
    # swscale gives other pixels with these flags than on an AVX2 or AVX-512 CPU; the numpy path does not
    assert np.array_equal(np.load(out), np.stack(frames))


DECODE_ALL_ON_AN_OLDER_CPU = """
import ctypes, glob, os, sys
import av, numpy as np
libs = glob.glob(os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs", "libavutil-*.so*"))
if not libs:
    sys.exit(3)
ctypes.CDLL(libs[0]).av_force_cpu_flags(int(sys.argv[1]))
from emer.clues.media import read_audio, read_frames
for clip in sys.argv[3:]:
    _, frames = read_frames(clip, np.array([0.0, 0.5, 0.9, 1.5]), skip_nonref=False)
    np.save(os.path.join(sys.argv[2], os.path.basename(clip) + ".video.npy"), np.stack(frames))
    np.save(os.path.join(sys.argv[2], os.path.basename(clip) + ".audio.npy"), read_audio(clip))
"""


@pytest.mark.parametrize("flags", [0, 0x101B], ids=["no-simd", "sse2"])
def test_vp9_mpeg4_video_and_aac_audio_do_not_depend_on_the_cpu(tmp_path, flags):
    """H.264 + AAC (mp4), VP9 (webm) and MPEG-4 Part 2 + PCM (avi) decode to the same pixels, and the AAC and
    PCM tracks to the same samples, with FFmpeg's SIMD turned off or limited to SSE2 as on this CPU. (The
    float AAC decoder differed by 1.5e-7; Opus, webm's audio, is a float codec and is not compared.)"""
    import os
    import subprocess
    import sys

    from emer.clues.demo import DEMO_TEXT, DEMO_VOICE, camera_frames, portrait, synthesize_speech

    frames = camera_frames(portrait(), 20, size=(320, 240))
    speech = synthesize_speech(DEMO_TEXT, DEMO_VOICE)[:32000]
    clips = [write_clip(tmp_path / f"c{ext}", frames, 10, audio=speech) for ext in (".mp4", ".webm", ".avi")]
    here = {
        c.name: (read_frames(c, np.array([0.0, 0.5, 0.9, 1.5]), skip_nonref=False)[1], read_audio(c))
        for c in clips
    }
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    command = [sys.executable, "-c", DECODE_ALL_ON_AN_OLDER_CPU, str(flags), str(tmp_path), *map(str, clips)]
    done = subprocess.run(command, env=env, check=False)
    if done.returncode == 3:
        pytest.skip("PyAV is not the wheel with FFmpeg in av.libs")
    assert done.returncode == 0
    for name, (video, audio) in here.items():
        assert np.array_equal(np.load(tmp_path / f"{name}.video.npy"), np.stack(video)), name
        if not name.endswith(".webm"):
            assert np.array_equal(np.load(tmp_path / f"{name}.audio.npy"), audio), name


def _one_pass(y, cb, cr, matrix, full_range):
    """The whole-image conversion of emer 4c6a1c2, the reference for the strip-wise one."""
    height, width = y.shape
    (ry, rv), (gy, gu, gv), (by, bu) = colour.coefficients(matrix, full_range)["decode"]
    luma = (y.astype(np.int32) - (0 if full_range else 16)) * 16
    u = colour.upsample_chroma(cb, height, width) - 128 * 16
    v = colour.upsample_chroma(cr, height, width) - 128 * 16
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[..., 0] = colour._shift_round(ry * luma + rv * v, colour.BITS + 4)
    rgb[..., 1] = colour._shift_round(gy * luma + gu * u + gv * v, colour.BITS + 4)
    rgb[..., 2] = colour._shift_round(by * luma + bu * u, colour.BITS + 4)
    return rgb


@pytest.mark.parametrize("strip", [1, 2, 3, 128])
def test_strip_conversion_gives_the_bits_of_one_pass(monkeypatch, strip):
    monkeypatch.setattr(colour, "STRIP_CHROMA_ROWS", strip)
    rng = np.random.default_rng(strip)
    for height, width in [(1, 1), (3, 5), (7, 9), (255, 31), (257, 17), (600, 40)]:
        y = rng.integers(0, 256, (height, width), dtype=np.uint8)
        cb, cr = rng.integers(0, 256, (2, (height + 1) // 2, (width + 1) // 2), dtype=np.uint8)
        for matrix in ("bt601", "bt709"):
            for full in (False, True):
                expected = _one_pass(y, cb, cr, matrix, full)
                assert np.array_equal(colour.yuv420_to_rgb(y, cb, cr, matrix, full), expected), (
                    height,
                    width,
                )
