"""The project's prompts for models that see or hear a clip (its own wording, from the method notes).

- ``describe_clip`` (the MLLM baselines): one call per clip with its frames (and audio, when the model
  hears), describing the emotion clues and inferring the emotional state; S0 without the subtitle, S1
  with it in the prompt. S2 merges the S0 answer with the subtitle by the text LLM (``prompts.merge_clues``).
- ``visual_clue`` / ``acoustic_clue`` / ``lexical_clue`` (the paper's pipeline): the frames to a vision
  model, the audio to an audio model, then the subtitle read with both clues by a text LLM; the three parts
  are joined in the gold descriptions' shape by :func:`compose_description`.

Every message's content is a list of parts (text first, then images in time order, then audio); changing
a word changes the cache keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from emer.llm.multimodal import audio_part, image_part, text_part

Messages = tuple[dict[str, Any], ...]
TASKS = ("describe_clip", "visual_clue", "acoustic_clue", "lexical_clue")

_SYSTEM = {
    "en": (
        "You are an expert in the psychology of emotion. You observe people in short video clips and "
        "describe the emotion clues you can actually see and hear, without naming or guessing who they are."
    ),
    "zh": (
        "你是一位研究情绪心理学的专家。你观察短视频中的人物，"
        "只描述你真正看到和听到的情绪线索，不要猜测或说出人物的身份。"
    ),
}


def _frames_intro(count: int, language: str) -> str:
    if language == "zh":
        return f"下面是从一段短视频中按时间顺序均匀抽取的{count}帧画面（第一帧是开头，最后一帧是结尾）。"
    return (
        f"The {count} images below are frames sampled uniformly from a short video clip, in time order "
        "(the first is the beginning, the last is the end)."
    )


def _multimodal(system: str, text: str, images: Sequence[bytes], audio: bytes | None) -> Messages:
    parts = [text_part(text), *(image_part(jpeg) for jpeg in images)]
    if audio is not None:
        parts.append(audio_part(audio))
    return ({"role": "system", "content": system}, {"role": "user", "content": parts})


def describe_clip(
    images: Sequence[bytes], audio: bytes | None, subtitle: str | None, language: str = "en"
) -> Messages:
    """The MLLM-baseline prompt: S0 when ``subtitle`` is None, S1 with the subtitle quoted."""
    system, text = describe_clip_text(len(images), audio is not None, subtitle, language)
    return _multimodal(system, text, images, audio)


def describe_clip_text(
    n_images: int, audio: bool, subtitle: str | None, language: str = "en"
) -> tuple[str, str]:
    """The system and user texts of :func:`describe_clip` for ``n_images`` frames (and the audio track when
    ``audio``): what other harnesses send with their own image and audio parts (``emer.lmms_tasks``)."""
    zh = language == "zh"
    intro = _frames_intro(n_images, language)
    if audio:
        intro += "随后附上这段视频的音轨。" if zh else " The clip's audio track follows them."
    if zh:
        heard = "语气、音调、音量、语速和停顿；" if audio else ""
        said = f"人物说的话（字幕）是：“{subtitle}”。请同时考虑这些话的含义。" if subtitle else ""
        text = (
            f"{intro}{said}请按从开头到结尾的顺序描述人物的情绪线索：面部表情、眼神和嘴部动作、头部和身体动作、"
            f"手势、与情绪有关的环境；{heard}然后推断人物的情绪状态并说明理由。写成一段连贯的文字，不要列表。"
        )
    else:
        heard = " In the voice: tone, pitch, loudness, speaking rate and pauses." if audio else ""
        said = (
            f' The subtitle (what the person says) reads: "{subtitle}" Take what is said into account too.'
            if subtitle
            else ""
        )
        text = (
            f"{intro}{said} Describe the emotion clues of the person from the beginning to the end of the "
            "clip: "
            f"facial expression, eye and mouth movement, head and body movement, gestures, and the setting "
            f"where it bears on emotion.{heard} Then infer the person's emotional state(s) and give your "
            "reasons. Write one paragraph of prose, no lists."
        )
    return _SYSTEM[language], text


def visual_clue(images: Sequence[bytes], language: str = "en") -> Messages:
    """Step 1 of the paper's pipeline: the visual clue from the frames, in time order, identity ignored."""
    intro = _frames_intro(len(images), language)
    if language == "zh":
        text = (
            f"{intro}请按开头、中间、结尾的顺序描述人物的情绪线索：面部表情、眼神和嘴部动作、头部和身体动作、手势，"
            "以及与情绪有关的环境。不要判断人物是谁，暂时不要下最终的情绪结论。写两到四句连贯的话，不要列表；"
            "你的文字将接在“在视频中，”之后，直接从描述开始。"
        )
    else:
        text = (
            f"{intro} Describe the person's emotion clues as they change from the beginning through the "
            "middle to the end: facial expression, eye and mouth movement, head and body movement, gestures, "
            "and the surroundings where they bear on emotion. Do not say who the person is and do not give a "
            "final emotion yet. Write two to four sentences of prose, no lists; your text will follow the "
            "words 'In the video,' so start directly with the description."
        )
    return _multimodal(_SYSTEM[language], text, images, None)


def acoustic_clue(audio: bytes, language: str = "en") -> Messages:
    """Step 2: the acoustic clue from the audio track (no transcript)."""
    if language == "zh":
        text = (
            "下面是一段短视频的音轨。请描述说话人声音中的情绪线索：语气、音调高低及其变化、音量、语速、停顿，"
            "以及叹气、笑声或哽咽等。不要转写说话内容。写一到三句连贯的话；你的文字将接在“在音频中，”之后。"
        )
    else:
        text = (
            "Below is the audio track of a short video clip. Describe the emotion clues in the speaker's "
            "voice: tone, pitch and how it moves, loudness, speaking rate, pauses, and sighs, laughter or a "
            "breaking voice. Do not transcribe the words. Write one to three sentences of prose; your text "
            "will follow the words 'In the audio,'."
        )
    return _multimodal(_SYSTEM[language], text, [], audio)


def lexical_clue(visual: str, acoustic: str, subtitle: str | None, language: str = "en") -> Messages:
    """Step 3: the subtitle read in the light of both clues, then the overall inference (text only)."""
    if language == "zh":
        said = f"字幕：“{subtitle}”" if subtitle else "字幕：（无）"
        text = (
            f"下面是一段短视频中人物的视觉线索和音频线索，以及字幕。\n视觉线索：{visual}\n音频线索：{acoustic}\n{said}\n\n"
            "请说明字幕中哪些词语带有情绪，结合视觉和音频线索应如何理解它们（线索可能改变字面意思），"
            "最后推断人物的情绪状态并给出理由。若字幕为空，只依据两类线索推断。写两到四句连贯的话；"
            "你的文字将接在“在文本中，”之后。"
        )
    else:
        said = f'Subtitle: "{subtitle}"' if subtitle else "Subtitle: (none)"
        text = (
            "Below are the visual and acoustic emotion clues of a person in a short video clip, and the "
            f"clip's subtitle.\nVisual clues: {visual}\nAcoustic clues: {acoustic}\n{said}\n\n"
            "Explain which words of the subtitle carry emotion and how the visual and acoustic clues "
            "change or confirm their meaning, then infer the person's emotional state(s) and give your "
            "reasons. If there is no subtitle, infer from the two clues alone. Write two to four sentences "
            "of prose; your text will follow the words 'In the text,'."
        )
    return ({"role": "system", "content": _SYSTEM[language]}, {"role": "user", "content": text})


_LEADS = {
    "en": (r"in the video\s*,?", r"in the audio\s*,?", r"in the text\s*,?"),
    "zh": (r"在视频中\s*[，,]?", r"在音频中\s*[，,]?", r"在文本中\s*[，,]?"),
}
_CPU_ACOUSTIC_HEAD = re.compile(r"^(Acoustic clues\s*(\([^)]*\))?\s*[.:]|音频线索(（[^）]*）)?[：:])\s*")


def _clean(text: str, lead: str) -> str:
    text = " ".join(text.split())
    text = re.sub(rf"^\s*{lead}\s*", "", text, flags=re.I)
    return _CPU_ACOUSTIC_HEAD.sub("", text).strip()


def _lower_first(text: str) -> str:
    """Lower-case the first letter of a sentence that is going to follow 'In the ..., '."""
    if len(text) > 1 and text[0].isupper() and text[1].islower() and not text.startswith("I "):
        return text[0].lower() + text[1:]
    return text


def compose_description(visual: str, acoustic: str, lexical: str, language: str = "en") -> str:
    """The three clues in the gold descriptions' shape: "In the video, … In the audio, … In the text, …"
    or ``在视频中，…；在音频中，…；在文本中，…；``. A lead the model wrote itself is not repeated."""
    leads = _LEADS[language]
    parts = [_clean(t, lead) for t, lead in zip((visual, acoustic, lexical), leads, strict=True)]
    if language == "zh":
        parts = [p.rstrip("。；;. ") for p in parts]
        return "".join(
            f"{head}，{p}；" for head, p in zip(("在视频中", "在音频中", "在文本中"), parts, strict=True)
        )
    parts = [p if p[-1:] in ".!?" else p + "." for p in (_lower_first(p) for p in parts)]
    return " ".join(
        f"{head}, {p}" for head, p in zip(("In the video", "In the audio", "In the text"), parts, strict=True)
    )
