"""Where the user's videos are and how a run is set up: ``EMER_LMMS_CONFIG`` (a YAML file) and
``EMER_LMMS_VIDEOS_<DATASET>`` (one folder per dataset, e.g. ``EMER_LMMS_VIDEOS_OVMERD``).

The videos are under their owners' licences and never downloaded: the tasks read the user's copies. A
config file looks like this (every key optional; relative paths are taken from the file's folder)::

    out_dir: runs/lmms            # predictions and scorecards (default: lmms-eval's --output_path/emer)
    cache_dir: ~/.cache/emer/lmms # the frames and audio sent, per clip (default: $EMER_CACHE_DIR/lmms)
    frames: 8                     # frames per clip, at segment centres, in time order
    image_size: 448               # longest side of each frame (JPEG, quality 85), as `emer explain`
    audio: false                  # true: the clip's audio track too (16 kHz mono WAV, first 30 s)
    language: en                  # prompt and subtitle language (en | zh)
    scoring:                      # how the aggregation scores (the fields of emer.scoring.Extractor)
      backend: offline            # offline | openai | transformers
      metrics: [ew, sets, hitrate]  # default: the dataset's families except matching
    datasets:
      ovmerd:
        videos: /data/MER2023/video   # <name>.<ext> for every sample (mp4, avi, ...)
        samples: my_subset.txt        # optional: only these sample names (one a line)
      mer2024:
        videos: /data/MER2024/video
        labels: /data/MER2024/label-6way.npz   # gold that is not public
        subtitles: /data/MER2024/transcription.csv   # name + english/chinese (or subtitle) columns
      meld:
        manifest: meld_files.csv      # name,path rows where file names differ from sample names
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from emer.llm.multimodal import MediaSettings

ENV_CONFIG = "EMER_LMMS_CONFIG"
ENV_VIDEOS = "EMER_LMMS_VIDEOS_"  # + the dataset name, upper-cased, '-' as '_'
_DATASET_KEYS = ("videos", "manifest", "labels", "subtitles", "samples")
_RUN_KEYS = ("out_dir", "cache_dir", "frames", "image_size", "audio", "language", "scoring", "datasets")


class ConfigError(ValueError):
    """A config file or setting that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class DatasetMedia:
    """The user's files for one dataset (None where not given)."""

    videos: Path | None = None  # folder of <name>.<ext>
    manifest: Path | None = None  # CSV with name,path columns (paths relative to the CSV's folder)
    labels: Path | None = None  # gold that is not public (MER2024, OV-MERD+), or the user's own
    subtitles: Path | None = None  # transcripts the public data lacks (CMU-MOSEI, MER2024, OV-MERD+)
    samples: Path | None = None  # a subset: one sample name per line


@dataclass(frozen=True)
class RunConfig:
    """Everything a run reads from the environment; ``source`` says where it came from (for errors)."""

    source: str = "defaults"
    out_dir: Path | None = None
    cache_dir: Path | None = None
    frames: int = 8
    image_size: int = 448
    audio: bool = False
    language: str = "en"
    scoring: dict[str, Any] = field(default_factory=dict)
    datasets: dict[str, DatasetMedia] = field(default_factory=dict)

    @property
    def media(self) -> MediaSettings:
        """What a clip becomes (the settings of ``emer explain``; audio cut to 30 s, or none)."""
        return MediaSettings(
            frames=self.frames, image_size=self.image_size, audio_seconds=30.0 if self.audio else 0.0
        )

    def dataset(self, name: str) -> DatasetMedia:
        """The user's files for ``name``; ``EMER_LMMS_VIDEOS_<NAME>`` overrides the config's folder."""
        media = self.datasets.get(name, DatasetMedia())
        folder = os.environ.get(videos_variable(name))
        if folder:
            media = DatasetMedia(**{**_as_dict(media), "videos": Path(folder).expanduser()})
        return media

    def media_cache(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        root = os.environ.get("EMER_CACHE_DIR")
        return (Path(root).expanduser() if root else Path.home() / ".cache" / "emer") / "lmms"


def videos_variable(dataset: str) -> str:
    """The environment variable naming the videos folder of ``dataset`` (``EMER_LMMS_VIDEOS_OVMERD_PLUS``)."""
    return ENV_VIDEOS + dataset.upper().replace("-", "_")


def _as_dict(media: DatasetMedia) -> dict[str, Any]:
    return {f.name: getattr(media, f.name) for f in fields(media)}


def _path(value: Any, base: Path, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a path, got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _check(value: Any, kind: type, where: str) -> Any:
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise ConfigError(f"{where}: expected {kind.__name__}, got {value!r}")
    return value


def read_config(path: str | os.PathLike) -> RunConfig:
    """The run config of the YAML file ``path``; unknown keys and wrong types are errors naming them."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file (set by {ENV_CONFIG})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_RUN_KEYS))
    if unknown:
        raise ConfigError(f"{path}: unknown keys {unknown}; known: {', '.join(_RUN_KEYS)}")
    base = path.parent
    datasets = {}
    for name, entry in (raw.get("datasets") or {}).items():
        where = f"{path}: datasets.{name}"
        _check(entry, dict, where)
        bad = sorted(set(entry) - set(_DATASET_KEYS))
        if bad:
            raise ConfigError(f"{where}: unknown keys {bad}; known: {', '.join(_DATASET_KEYS)}")
        datasets[str(name)] = DatasetMedia(
            **{k: _path(v, base, f"{where}.{k}") for k, v in entry.items() if v is not None}
        )
    config = RunConfig(
        source=str(path),
        out_dir=_path(raw["out_dir"], base, f"{path}: out_dir") if raw.get("out_dir") else None,
        cache_dir=_path(raw["cache_dir"], base, f"{path}: cache_dir") if raw.get("cache_dir") else None,
        frames=_check(raw.get("frames", 8), int, f"{path}: frames"),
        image_size=_check(raw.get("image_size", 448), int, f"{path}: image_size"),
        audio=_check(raw.get("audio", False), bool, f"{path}: audio"),
        language=_check(raw.get("language", "en"), str, f"{path}: language"),
        scoring=_check(raw.get("scoring") or {}, dict, f"{path}: scoring"),
        datasets=datasets,
    )
    if config.language not in ("en", "zh"):
        raise ConfigError(f"{path}: language must be en or zh, not {config.language!r}")
    if not 1 <= config.frames <= 64:
        raise ConfigError(f"{path}: frames must be between 1 and 64, not {config.frames}")
    return config


@lru_cache(maxsize=8)
def _config_of(path: str) -> RunConfig:
    return read_config(path) if path else RunConfig()


def load_config() -> RunConfig:
    """The run config: the file named by ``EMER_LMMS_CONFIG`` (read once per process), else the defaults."""
    return _config_of(os.environ.get(ENV_CONFIG, ""))
