"""The documents of a task: one per sample of the dataset in ``emer``'s registry, with the user's video
and the subtitle, checked before anything is sent.

Subtitles: OV-MERD and MER2023 from the polished MER2023 transcripts; MELD, IEMOCAP, CMU-MOSI, CH-SIMS
and CH-SIMS v2 from MERBench's ``transcription-engchi-polish.csv`` of each (public data). CMU-MOSEI's
MERBench transcript is not in the public data, and MER2024's and OV-MERD+'s are not public: for these the
user's ``subtitles`` file is needed under S1.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from emer.clues.media import VIDEO_EXTENSIONS, MediaError, probe
from emer.data import loaders
from emer.data.datasets import GoldError, get_spec, load_dataset
from emer.data.store import data_path
from emer.lmms_tasks.catalog import TaskSpec, get_task
from emer.lmms_tasks.config import ENV_CONFIG, RunConfig, load_config, videos_variable

#: Registered transcript (``name,chinese,english``) of each dataset whose transcript is public: the MERBench
#: corpus it belongs to (the MER2023 splits and OV-MERD share MER2023's).
TRANSCRIPTS = {
    dataset: loaders.TRANSCRIPTS[corpus]
    for dataset, corpus in {
        "ovmerd": "mer2023",
        "mer2023-train": "mer2023",
        "mer2023-test1": "mer2023",
        "mer2023-test2": "mer2023",
        "meld": "meld",
        "iemocap": "iemocap",
        "cmumosi": "cmumosi",
        "sims": "sims",
        "simsv2": "simsv2",
    }.items()
}
UNAVAILABLE = {
    "cmumosei": "MERBench's CMU-MOSEI transcript is not in the public data",
    "mer2024": "MER2024's transcripts are not public",
    "ovmerd-plus": "OV-MERD+'s transcripts are not public",
}
_LANGUAGE_COLUMNS = {"en": ("english", "subtitle", "text"), "zh": ("chinese", "subtitle", "text")}
SHOWN = 5  # names shown in an error


class MediaCheckError(ValueError):
    """Videos that are missing or cannot be read, or a dataset the config does not place; one message
    with how many, the first few names and what to set."""


def _read_subtitles(path: Path, language: str) -> dict[str, str]:
    """name -> subtitle from a CSV with a ``name`` column and an ``english``/``chinese``/``subtitle``/``text``
    one."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise MediaCheckError(f"{path}: cannot read the subtitles ({exc})") from None
    columns = list(rows[0]) if rows else []
    text = next((c for c in _LANGUAGE_COLUMNS[language] if c in columns), None)
    if "name" not in columns or text is None:
        raise MediaCheckError(
            f"{path}: a subtitle table needs a name column and one of {_LANGUAGE_COLUMNS[language]}; "
            f"found {columns}"
        )
    return {row["name"].strip(): (row[text] or "").strip() for row in rows}


def subtitles(dataset: str, config: RunConfig, data_dir=None) -> dict[str, str]:
    """name -> subtitle in the config's language: the user's file, else the registered transcript."""
    given = config.dataset(dataset).subtitles
    if given is not None:
        return _read_subtitles(given, config.language)
    if dataset not in TRANSCRIPTS:
        reason = UNAVAILABLE.get(dataset, f"no transcript of {dataset} is registered")
        raise MediaCheckError(
            f"{get_spec(dataset).title} under S1 needs subtitles: {reason}. Give your copy as "
            f"datasets.{dataset}.subtitles in the config ({ENV_CONFIG}): a CSV with name and english "
            "(or chinese, subtitle) columns"
        )
    return _read_subtitles(data_path(TRANSCRIPTS[dataset], data_dir), config.language)


def _manifest(path: Path) -> dict[str, Path]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"name", "path"} <= set(rows[0]):
        raise MediaCheckError(f"{path}: a video manifest needs name and path columns")
    return {r["name"].strip(): (path.parent / r["path"].strip()).resolve() for r in rows}


def _folder_index(folder: Path) -> dict[str, Path]:
    """stem -> video file directly in ``folder`` (the first extension of VIDEO_EXTENSIONS wins)."""
    rank = {ext: i for i, ext in enumerate(VIDEO_EXTENSIONS)}
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: (rank.get(p.suffix.lower(), 99), p.name)):
        if path.suffix.lower() in rank and path.stem not in found:
            found[path.stem] = path
    return found


def locate_videos(dataset: str, names: Iterable[str], config: RunConfig) -> dict[str, Path | None]:
    """name -> the user's video (None when not found)."""
    media = config.dataset(dataset)
    if media.manifest is None and media.videos is None:
        raise MediaCheckError(
            f"no videos for {get_spec(dataset).title}: set {videos_variable(dataset)}=/path/to/videos, or "
            f"datasets.{dataset}.videos (or .manifest) in the config file named by {ENV_CONFIG}"
        )
    index = _manifest(media.manifest) if media.manifest is not None else {}
    if media.videos is not None:
        if not media.videos.is_dir():
            raise MediaCheckError(f"{media.videos}: no such videos folder (for {get_spec(dataset).title})")
        index = {**_folder_index(media.videos), **index}
    return {n: index.get(n) for n in names}


def check_videos(dataset: str, videos: dict[str, Path | None]) -> None:
    """Raise one :class:`MediaCheckError` for every video that is missing or has no readable video stream."""
    missing = sorted(n for n, p in videos.items() if p is None or not p.is_file())
    unreadable: list[str] = []
    for name in sorted(set(videos) - set(missing)):
        try:
            if not probe(videos[name]).has_video:
                unreadable.append(f"{name} (no video stream)")
        except MediaError as exc:
            unreadable.append(f"{name} ({exc})")
    if not (missing or unreadable):
        return
    title, total = get_spec(dataset).title, len(videos)
    lines = [f"{title}: {len(missing) + len(unreadable)} of {total} videos cannot be used"]
    if missing:
        lines.append(f"  {len(missing)} missing, first: {', '.join(missing[:SHOWN])}")
    if unreadable:
        lines.append(f"  {len(unreadable)} unreadable, first: {'; '.join(unreadable[:SHOWN])}")
    lines.append(
        f"  Point {videos_variable(dataset)} (or datasets.{dataset}.videos in {ENV_CONFIG}) at a folder of "
        f"<name>.<ext> files, or restrict the run with datasets.{dataset}.samples."
    )
    raise MediaCheckError("\n".join(lines))


def _subset(path: Path, known: list[str]) -> list[str]:
    wanted = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise MediaCheckError(f"{path}: {len(unknown)} names are not samples of the dataset: {unknown[:3]}")
    return sorted(set(wanted))


def build_documents(task: str | TaskSpec, config: RunConfig | None = None, data_dir=None) -> list[dict]:
    """The documents of ``task``: task, dataset, name, video, subtitle, strategy, language; sorted by name.
    Raises :class:`MediaCheckError` (videos, subtitles) before anything is sent."""
    spec = get_task(task) if isinstance(task, str) else task
    config = config or load_config()
    media = config.dataset(spec.dataset)
    try:
        samples = load_dataset(spec.dataset, data_dir, baselines=False, labels=media.labels).samples
    except GoldError as exc:
        raise MediaCheckError(
            f"{exc} (here: datasets.{spec.dataset}.labels in the config file named by {ENV_CONFIG})"
        ) from None
    if media.samples is not None:
        samples = _subset(media.samples, samples)
    said = subtitles(spec.dataset, config, data_dir) if spec.strategy == "S1" else {}
    videos = locate_videos(spec.dataset, samples, config)
    check_videos(spec.dataset, videos)
    return [
        {
            "task": spec.task,
            "dataset": spec.dataset,
            "name": name,
            "video": str(videos[name]),
            "subtitle": said.get(name, ""),
            "strategy": spec.strategy,
            "language": config.language,
        }
        for name in samples
    ]
