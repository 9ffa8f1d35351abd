"""pycocoevalcap's Java programs (the PTB tokenizer and METEOR 1.5): the ``java`` executable and the
folder of each jar."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

JAVA_HINT = (
    "pycocoevalcap's PTB tokenizer and METEOR run on Java, and no `java` executable is on PATH. "
    "Install a Java runtime (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; conda: "
    "`conda install -c conda-forge openjdk=17`) and make sure `java -version` works in this shell."
)


class JavaNotFoundError(RuntimeError):
    """No Java runtime on PATH (needed by the PTB tokenizer and METEOR)."""


def java_executable() -> str:
    """Absolute path of ``java`` on PATH, or :class:`JavaNotFoundError` naming what to install."""
    path = shutil.which("java")
    if path is None:
        raise JavaNotFoundError(JAVA_HINT)
    return path


def pycoco_dir(module: str) -> Path:
    """The folder of one pycocoevalcap module (``tokenizer``, ``meteor``), where its jar lies."""
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pycocoevalcap is not installed: `pip install pycocoevalcap==1.2`")
    return Path(list(spec.submodule_search_locations)[0]).resolve() / module
