"""Request templates and the corpus they draw from.

A template is a short sequence of literal text and named slots, plus how its completion is
built and how long its output runs. Every non-chat request in the simulator is one template
instantiated with slot fill-ins, so a population's content is just a weighting over template
*families*; no population has its own text-generation code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from distillgov.traffic.simulator import wording
from distillgov.traffic.simulator.arrowops import Array, byte_lengths, char_lengths, first_match
from distillgov.traffic.simulator.fragments import FragmentPool, PoolBuilder
from distillgov.traffic.simulator.prompts import PromptPool

PROMPT_PARTS = 6
COMPLETION_PARTS = 3
CORPUS_SEED = 20_260_216  # fixed: benchmark items and rendered tasks are the same for every run seed
BENCHMARK_ITEMS = 2_000
MATH_PROBLEMS = 6_000
CODE_TASKS = 3_000
TICKET_CHARS = (20, 1_500)
DOCUMENT_CHARS = (200, 5_000)


@dataclass(frozen=True)
class Slot:
    """A fill-in drawn uniformly from the named slot's fragments."""

    name: str


@dataclass(frozen=True)
class Reply:
    """A completion piece that is the natural reply to prompt part `part` (e.g. the real answer)."""

    part: int


Piece = str | Slot
CompletionPiece = str | Slot | Reply


@dataclass(frozen=True)
class TemplateDef:
    """One request shape. Output tokens are lognormal around `output_median`, or, when
    `reply_factor` > 0, that factor times the paired reply's true length."""

    name: str
    families: tuple[str, ...]
    prompt: tuple[Piece, ...]
    completion: tuple[CompletionPiece, ...]
    output_median: float
    output_sigma: float
    reply_factor: float = 0.0
    hidden_input_tokens: int = 0  # system prompt / tool schema billed but not in `prompt`
    weight: float = 1.0


def _app_templates() -> list[TemplateDef]:
    templates = []
    for name, instruction, document, suffix, outputs, median in wording.APP_TEMPLATES:
        families = ("app", "enterprise-tool") if name in wording.ENTERPRISE_TOOL_TEMPLATES else ("app",)
        completion: tuple[CompletionPiece, ...] = (Slot(f"labels:{name}"),) if outputs else (Reply(1),)
        templates.append(
            TemplateDef(
                name,
                families,
                (instruction, Slot(document), suffix),
                completion,
                median,
                0.4,
                hidden_input_tokens=40,
            )
        )
    return templates


_TRACE = Slot("trace_opener")
_HARVEST_SIGMA = 0.55  # harvest outputs: long, varying with the task


def _harvest_templates() -> list[TemplateDef]:
    prefix, elicit = Slot("harvest_prefix"), Slot("elicit")
    return [
        TemplateDef(
            "reasoning-math",
            ("harvest-reasoning",),
            (prefix, Slot("math_problem"), elicit),
            (_TRACE, Reply(1)),
            1_800,
            weight=0.7,
            output_sigma=_HARVEST_SIGMA,
        ),
        TemplateDef(
            "reasoning-logic",
            ("harvest-reasoning",),
            (prefix, Slot("logic_problem"), elicit),
            (_TRACE, Slot("sharegpt_answer")),
            3_200,
            weight=0.3,
            output_sigma=_HARVEST_SIGMA,
        ),
        TemplateDef(
            "code",
            ("harvest-code",),
            (prefix, Slot("code_task"), elicit),
            (_TRACE, Slot("sharegpt_answer")),
            2_600,
            output_sigma=_HARVEST_SIGMA,
        ),
        TemplateDef(
            "agentic",
            ("harvest-agentic",),
            (Slot("agent_toolset"), "Task: ", Slot("agent_task"), "\n\n", Slot("agent_elicit")),
            (_TRACE, Slot("sharegpt_answer")),
            3_400,
            hidden_input_tokens=300,
            output_sigma=_HARVEST_SIGMA,
        ),
        TemplateDef(
            "wrapped",
            ("harvest-wrapped",),
            (prefix, Slot("sharegpt_prompt"), elicit),
            (_TRACE, Reply(1)),
            0,
            0.35,
            reply_factor=2.5,
        ),
        TemplateDef(
            "bot-wrapped",
            ("bot",),
            (Slot("sharegpt_prompt"), wording.ELICIT[0]),
            (_TRACE, Reply(0)),
            0,
            0.35,
            reply_factor=2.5,
        ),
    ]


def _dual_use_templates() -> list[TemplateDef]:
    """Requests that benign customers and campaigns both send: worked solutions, plain questions to a
    reasoning model, short answers, long documents, agent loops. Shared on purpose: the same text
    comes from a student and from a harvester, so content alone cannot tell them apart."""
    prefix_free_trace = (_TRACE, Reply(0))
    return [
        TemplateDef(
            "study-math", ("study",), (Slot("math_problem"), Slot("study_ask")), (Reply(0),), 650, 0.5
        ),
        TemplateDef(
            "study-logic",
            ("study",),
            (Slot("logic_problem"), Slot("study_ask")),
            (Slot("sharegpt_answer"),),
            900,
            0.5,
            weight=0.4,
        ),
        TemplateDef(
            "tutor",
            ("tutor",),
            (wording.TUTOR_INSTRUCTION, Slot("math_problem")),
            (Reply(1),),
            700,
            0.4,
            hidden_input_tokens=60,
        ),
        TemplateDef(
            "docgen",
            ("docgen",),
            (Slot("docgen_instruction"), Slot("document")),
            (Slot("sharegpt_answer"),),
            2_600,
            0.5,
            hidden_input_tokens=150,
        ),
        TemplateDef(
            "coding-agent",
            ("coding-agent",),
            (
                Slot("coding_preamble"),
                "Task: ",
                Slot("agent_task"),
                "\n\nLatest tool output:\n",
                Slot("document"),
            ),
            (Slot("sharegpt_answer"),),
            900,
            0.8,
            hidden_input_tokens=2_500,
        ),
        TemplateDef("plain-math", ("plain",), (Slot("math_problem"),), prefix_free_trace, 1_800, 0.55),
        TemplateDef(
            "plain-logic",
            ("plain",),
            (Slot("logic_problem"),),
            (_TRACE, Slot("sharegpt_answer")),
            3_200,
            0.55,
            weight=0.3,
        ),
        TemplateDef(
            "plain-code",
            ("plain",),
            (Slot("code_task"),),
            (Slot("sharegpt_answer"),),
            2_600,
            0.55,
        ),
        TemplateDef(
            "short-answer",
            ("harvest-short",),
            (Slot("sharegpt_prompt"), Slot("brief_ask")),
            (Reply(0),),
            0,
            0.5,
            reply_factor=0.2,
        ),
    ]


_PARAPHRASE_BODIES = (
    ("math_problem", 0.35, True),
    ("code_task", 0.25, False),
    ("sharegpt_prompt", 0.4, True),
)


def _paraphrase_templates() -> list[TemplateDef]:
    templates = []
    for language, share in wording.PARAPHRASE_LANGUAGE_WEIGHTS.items():
        for body, body_share, replies in _PARAPHRASE_BODIES:
            if body == "sharegpt_prompt" and language != "en":
                body = "sharegpt_prompt_nonascii"  # real non-English requests for non-English instructions
            answer: CompletionPiece = Reply(1) if replies else Slot("sharegpt_answer")
            templates.append(
                TemplateDef(
                    f"paraphrase-{language}-{body}",
                    ("paraphrase",),
                    (
                        Slot(f"para_open:{language}"),
                        Slot(body),
                        Slot(f"para_reason:{language}"),
                        Slot(f"para_format:{language}"),
                    ),
                    (_TRACE, answer),
                    2_400,
                    0.55,
                    weight=share * body_share,
                )
            )
    return templates


# Chain-of-thought answers to GSM8K-style items run a few hundred tokens.
BENCHMARK = TemplateDef("benchmark", ("benchmark",), (Slot("benchmark"),), (Reply(0),), 320, 0.35)
CHAT = TemplateDef("chat", ("chat",), (Slot("sharegpt_turn"),), (Reply(0),), 0, 0.0, reply_factor=1.0)
TEMPLATES: tuple[TemplateDef, ...] = (
    CHAT,
    BENCHMARK,
    *_app_templates(),
    *_harvest_templates(),
    *_dual_use_templates(),
    *_paraphrase_templates(),
)


@dataclass(frozen=True)
class TemplateTable:
    """Templates compiled to slot-index matrices, so instantiating a million rows is array indexing."""

    names: tuple[str, ...]
    families: dict[str, npt.NDArray[np.int32]]
    weights: npt.NDArray[np.float64]
    prompt_slots: npt.NDArray[np.int32]  # (templates, PROMPT_PARTS)
    completion_slots: npt.NDArray[np.int32]  # (templates, COMPLETION_PARTS); -1 where a Reply is used
    completion_reply: npt.NDArray[np.int8]  # prompt part whose reply fills the piece, or -1
    output_median: npt.NDArray[np.float64]
    output_sigma: npt.NDArray[np.float64]
    reply_factor: npt.NDArray[np.float64]
    hidden_tokens: npt.NDArray[np.int32]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def family_weights(self, family: str) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float64]]:
        members = self.families[family]
        weights = self.weights[members]
        return members, weights / weights.sum()


@dataclass(frozen=True)
class Corpus:
    """Everything content generation needs: the fragments, the templates, and chat replay offsets."""

    pool: FragmentPool
    templates: TemplateTable
    chat_first_turn: npt.NDArray[np.int32]  # per ShareGPT conversation: fragment of its first human turn
    chat_turns: npt.NDArray[np.int64]  # per conversation: number of human turns
    prompt_source: str


def _lead_sentences(answers: Array) -> Array:
    """A document's first sentence, standing in for the summary an app would return."""
    return first_match(answers, r"^\s*(?P<match>[^\n]{20,220}?[.!?])(?:\s|$)", 160)


def _length_between(texts: Array, bounds: tuple[int, int]) -> npt.NDArray[np.bool_]:
    length = char_lengths(texts)
    return (length >= bounds[0]) & (length <= bounds[1])


def _add_real_text(
    builder: PoolBuilder, prompts: PromptPool
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    answers = prompts.turns.column("answer").combine_chunks()
    questions = prompts.turns.column("prompt").combine_chunks()
    leads = builder.fragments(_lead_sentences(answers))
    answer_fragments = builder.fragments(answers, replies=leads)
    turn_fragments = builder.fragments(questions, replies=answer_fragments)
    first_turns = turn_fragments[prompts.first_row]
    first_texts = questions.take(prompts.first_row)
    non_ascii = byte_lengths(first_texts) != char_lengths(first_texts)
    builder.slot("sharegpt_turn", turn_fragments)
    builder.slot("sharegpt_prompt", first_turns)
    builder.slot("sharegpt_prompt_nonascii", first_turns[non_ascii])
    builder.slot("sharegpt_answer", answer_fragments)
    builder.slot("ticket", first_turns[_length_between(first_texts, TICKET_CHARS)])
    builder.slot("document", answer_fragments[_length_between(answers, DOCUMENT_CHARS)])
    return first_turns, prompts.turn_count


def _add_synthetic_text(builder: PoolBuilder) -> None:
    rng = random.Random(CORPUS_SEED)
    benchmark = wording.benchmark_items(rng, BENCHMARK_ITEMS)
    builder.text_slot("benchmark", [q for q, _ in benchmark], [a for _, a in benchmark])
    math = wording.math_problems(rng, MATH_PROBLEMS)
    builder.text_slot("math_problem", [q for q, _ in math], [a for _, a in math])
    builder.text_slot("logic_problem", wording.LOGIC_PROBLEMS)
    builder.text_slot("code_task", wording.code_tasks(rng, CODE_TASKS))
    for name, texts in (
        ("agent_toolset", wording.AGENT_TOOLSETS),
        ("agent_task", wording.AGENT_TASKS),
        ("agent_elicit", wording.AGENT_ELICIT),
        ("elicit", wording.ELICIT),
        ("harvest_prefix", wording.HARVEST_PREFIXES),
        ("trace_opener", wording.TRACE_OPENERS),
        ("study_ask", wording.STUDY_ASKS),
        ("docgen_instruction", wording.DOCGEN_INSTRUCTIONS),
        ("brief_ask", wording.BRIEF_ASKS),
        ("coding_preamble", wording.CODING_AGENT_PREAMBLES),
    ):
        builder.text_slot(name, texts)
    for name, _, _, _, outputs, _ in wording.APP_TEMPLATES:
        if outputs:
            builder.text_slot(f"labels:{name}", outputs)
    for language, pieces in wording.PARAPHRASES.items():
        builder.text_slot(f"para_open:{language}", wording.paraphrase_openings(language))
        builder.text_slot(f"para_reason:{language}", ["\n\n" + r for r in pieces["reason"]])
        builder.text_slot(f"para_format:{language}", [f" {f}" if f else "" for f in pieces["format"]])


def _slot_names(builder: PoolBuilder, pieces: tuple[CompletionPiece, ...], width: int) -> list[str]:
    """Slot name per part (literals become one-member slots; replies and padding use `empty`)."""
    names = [
        p.name if isinstance(p, Slot) else "empty" if isinstance(p, Reply) else builder.literal(p)
        for p in pieces
    ]
    return names + ["empty"] * (width - len(names))


def _compile(
    pool: FragmentPool,
    templates: tuple[TemplateDef, ...],
    prompt_names: list[list[str]],
    completion_names: list[list[str]],
) -> TemplateTable:
    reply = np.full((len(templates), COMPLETION_PARTS), -1, dtype=np.int8)
    families: dict[str, list[int]] = {}
    for i, t in enumerate(templates):
        for j, piece in enumerate(t.completion):
            if isinstance(piece, Reply):
                reply[i, j] = piece.part
        for family in t.families:
            families.setdefault(family, []).append(i)
    return TemplateTable(
        names=tuple(t.name for t in templates),
        families={f: np.array(m, dtype=np.int32) for f, m in families.items()},
        weights=np.array([t.weight for t in templates]),
        prompt_slots=np.array([[pool.slot(n) for n in row] for row in prompt_names], dtype=np.int32),
        completion_slots=np.array([[pool.slot(n) for n in row] for row in completion_names], dtype=np.int32),
        completion_reply=reply,
        output_median=np.array([t.output_median for t in templates]),
        output_sigma=np.array([t.output_sigma for t in templates]),
        reply_factor=np.array([t.reply_factor for t in templates]),
        hidden_tokens=np.array([t.hidden_input_tokens for t in templates], dtype=np.int32),
    )


def build_corpus(prompts: PromptPool) -> Corpus:
    """Assemble fragments and templates; deterministic for a given package and dataset version."""
    builder = PoolBuilder()
    first_turns, turns = _add_real_text(builder, prompts)
    _add_synthetic_text(builder)
    builder.slot("empty", np.array([0], dtype=np.int32))
    prompt_names = [_slot_names(builder, t.prompt, PROMPT_PARTS) for t in TEMPLATES]
    completion_names = [_slot_names(builder, t.completion, COMPLETION_PARTS) for t in TEMPLATES]
    pool = builder.build()
    table = _compile(pool, TEMPLATES, prompt_names, completion_names)
    return Corpus(pool, table, first_turns, turns.astype(np.int64), prompts.source)
