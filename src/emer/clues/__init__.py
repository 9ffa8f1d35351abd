"""Clue generation from real media, on the CPU with no model download.

- :mod:`~emer.clues.media`: find clips and subtitles, decode sampled frames and the audio track (PyAV).
- :mod:`~emer.clues.visual`: faces (OpenCV Haar cascade) and expressions (FER2013 mini-Xception) -> clue.
- :mod:`~emer.clues.acoustic`: pitch, loudness, rate, pauses (librosa) against reference ranges -> clue.
- :mod:`~emer.clues.lexical`: the subtitle and its NRC / DUTIR lexicon reading -> clue.
- :mod:`~emer.clues.pipeline`: per-clip records, statuses, summary table, resumption (``emer clues``).
- :mod:`~emer.clues.explain`: S0 / S1 / S2 explanations and OV labels via :mod:`emer.llm` (``emer explain``).
- :mod:`~emer.clues.demo`: the demo clip (astronaut portrait + espeak-ng speech); test clips.
- :mod:`~emer.clues.stats`, :mod:`~emer.clues.figures`: tables and figures of notebook 01.
"""
