"""The two watermark schemes behind one small interface, so serving and detection never branch twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from distillgov.watermark.detect import DEFAULT_SIGNIFICANCE, score_token_ids
from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor, KGWParams
from distillgov.watermark.synthid import SynthIDDetector, SynthIDParams, watermarking_config

Scheme = Literal["kgw", "synthid"]
SCHEMES: tuple[Scheme, ...] = ("kgw", "synthid")


@dataclass(frozen=True)
class WatermarkSettings:
    """Which scheme, with which parameters: recorded in every detection result."""

    scheme: Scheme = "kgw"
    kgw: KGWParams = field(default_factory=KGWParams)
    synthid: SynthIDParams = field(default_factory=SynthIDParams)

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown watermark scheme {self.scheme!r}: use one of {', '.join(SCHEMES)}")

    def parameters(self) -> dict[str, Any]:
        """The parameters of the scheme in use, for reports."""
        chosen = self.kgw if self.scheme == "kgw" else self.synthid
        return {"scheme": self.scheme, **asdict(chosen)}

    def generation_options(self, key: bytes, vocab_size: int) -> dict[str, Any]:
        """Keyword arguments for `teacher.generate` that apply this watermark with `key`."""
        if self.scheme == "kgw":
            return {"logits_processors": [KGWLogitsProcessor(GreenList(key, vocab_size, self.kgw))]}
        return {"watermarking_config": watermarking_config(key, self.synthid)}

    def score(
        self,
        key: bytes,
        vocab_size: int,
        sequences: Sequence[Sequence[int]],
        prompt_lengths: Sequence[int] | None = None,
        significance: float = DEFAULT_SIGNIFICANCE,
    ) -> dict[str, Any]:
        """The detection result under `key`, as the JSON-ready dict of the scheme's score."""
        if self.scheme == "kgw":
            green_list = GreenList(key, vocab_size, self.kgw)
            return score_token_ids(green_list, sequences, prompt_lengths, True, significance).to_dict()
        detector = SynthIDDetector(key, vocab_size, self.synthid)
        return detector.score_token_ids(sequences, prompt_lengths, significance).to_dict()
