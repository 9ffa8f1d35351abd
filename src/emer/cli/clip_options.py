"""The options and error handling that ``emer clues`` and ``emer explain`` share.

Nothing heavy is imported here: the handlers import the pipeline when they run.
"""

from __future__ import annotations

import argparse
import sys
import warnings


def add_clip_options(parser: argparse.ArgumentParser) -> None:
    """The options ``emer clues`` and ``emer explain`` share: the clips, the output folder, the sampling."""
    parser.add_argument(
        "folder",
        help="a folder of clips (any container FFmpeg reads: mp4, m4v, mkv, webm, mov, avi, ...) or one clip",
    )
    parser.add_argument(
        "--out",
        required=True,
        help="output folder (records, summary table); relative to the working directory",
    )
    parser.add_argument(
        "--manifest", help="CSV table with a clip id column and a subtitle and/or speaker-sex column"
    )
    parser.add_argument("--id-column", default="name", help="clip id column of --manifest (default: name)")
    parser.add_argument(
        "--subtitle-column", default="subtitle", help="subtitle column of --manifest (default: subtitle)"
    )
    parser.add_argument(
        "--frames", type=int, default=8, help="frames sampled uniformly per clip (default: 8)"
    )
    parser.add_argument(
        "--frame-rate", type=float, default=0.0, help="sample this many frames per second instead of --frames"
    )
    parser.add_argument(
        "--languages", nargs="+", default=["en", "zh"], choices=["en", "zh"], help="clue languages to write"
    )
    parser.add_argument(
        "--lexical",
        default="mer2023",
        choices=["mer2023", "meld", "iemocap", "lexicon"],
        help="the lexical clue: the subtitle model of a label space (default mer2023: MER2023's six classes; "
        "fitted on the public data once, then cached), or the NRC / DUTIR lexicon",
    )
    parser.add_argument("--no-resume", action="store_true", help="redo clips that already have a record")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def clue_params(args: argparse.Namespace):
    """The clue stage's parameters from the shared options."""
    from emer.clues.pipeline import ClueParams

    return ClueParams(
        frames=args.frames, frame_rate=args.frame_rate, languages=tuple(args.languages), lexical=args.lexical
    )


def guarded(handler):
    """Turn the clue stage's expected errors into one line on stderr and exit status 2, and its warnings
    about the clips (:class:`~emer.clues.media.ManifestWarning`) into one ``emer: warning:`` line each."""

    def run(args: argparse.Namespace) -> int:
        from emer.clues.media import ManifestWarning, MediaError, MissingDependencyError
        from emer.files import OutputPathError, check_folder
        from emer.llm import BackendError, CacheError

        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None) -> None:
            if issubclass(category, ManifestWarning):
                print(f"emer: warning: {message}", file=sys.stderr, flush=True)
            else:
                shown(message, category, filename, lineno, file, line)

        with warnings.catch_warnings():
            warnings.simplefilter("always", ManifestWarning)
            warnings.showwarning = show
            try:
                check_folder(args.out, "--out")
                return handler(args)
            except (MediaError, MissingDependencyError, CacheError, BackendError, OutputPathError) as exc:
                print(f"emer: error: {exc}", file=sys.stderr)
                return 2

    return run
