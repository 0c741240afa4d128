"""What each request says: fragment indices for its prompt and completion, and its token counts.

Three modes cover every population. Templates instantiate slot fill-ins at random (apps,
harvesting, paraphrasing); conversations replay real ShareGPT conversations turn by turn so
follow-ups are real follow-ups; benchmarks replay a fixed item subset in a fixed order, which
is what makes an eval pipeline's runs identical to each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from distillgov.traffic.simulator.frame import Frame, segment_starts
from distillgov.traffic.simulator.plan import Plan, template_sampler
from distillgov.traffic.simulator.spec import Content, ContentMode
from distillgov.traffic.simulator.templates import BENCHMARK, CHAT, COMPLETION_PARTS, PROMPT_PARTS, Corpus

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ContentRows:
    template: I32
    prompt: I32  # (rows, PROMPT_PARTS) fragment indices; 0 is the empty fragment
    completion: I32  # (rows, COMPLETION_PARTS)
    prompt_tokens: I64
    output_tokens: I64  # what the model would write if max_tokens did not stop it
    hidden_tokens: I64  # billed input not shown in `prompt` (system prompt, tool schemas)


def _instantiate(
    corpus: Corpus, template: I32, rng: np.random.Generator, fixed_first: I32 | None = None
) -> tuple[I32, I32]:
    """Prompt and completion fragments of rows using these templates; `fixed_first` pins part 0."""
    table, pool = corpus.templates, corpus.pool
    n = len(template)
    prompt = pool.pick(table.prompt_slots[template], rng.random((n, PROMPT_PARTS)))
    if fixed_first is not None:
        prompt[:, 0] = fixed_first
    completion = pool.pick(table.completion_slots[template], rng.random((n, COMPLETION_PARTS)))
    source = table.completion_reply[template].astype(np.int64)
    replies = np.maximum(pool.reply[np.take_along_axis(prompt, np.maximum(source, 0), axis=1)], 0)
    return prompt, np.where(source >= 0, replies, completion).astype(np.int32)


def _chat_fragments(corpus: Corpus, frame: Frame, rng: np.random.Generator) -> I32:
    """Human turns of real conversations at least as long as each simulated conversation."""
    starts = np.flatnonzero(frame.conversation_start)
    lengths = np.diff(np.r_[starts, len(frame)])
    order = np.argsort(corpus.chat_turns, kind="stable")
    ranked = corpus.chat_turns[order]
    wanted = np.minimum(lengths, ranked[-1])
    eligible = len(ranked) - np.searchsorted(ranked, wanted, side="left")
    chosen = order[len(ranked) - 1 - (rng.random(len(starts)) * eligible).astype(np.int64)]
    per_row = np.repeat(chosen, lengths)
    turn = np.minimum(frame.turn, corpus.chat_turns[per_row] - 1)
    fragments: I32 = (corpus.chat_first_turn[per_row] + turn).astype(np.int32)
    return fragments


def benchmark_position(plan: Plan, frame: Frame) -> tuple[I64, I64]:
    """Item and model slot of each row of a benchmark run (items x models per run, fixed order)."""
    items = plan.accounts.items[frame.account].astype(np.int64)
    position = frame.seq % (items * plan.accounts.slots[frame.account])
    return position % items, position // items


def _output_tokens(corpus: Corpus, template: I32, completion: I32, rng: np.random.Generator) -> I64:
    table, pool = corpus.templates, corpus.pool
    reply_part = np.argmax(table.completion_reply[template] >= 0, axis=1)
    reply_tokens = pool.tokens[np.take_along_axis(completion, reply_part[:, None], axis=1)[:, 0]]
    factor = table.reply_factor[template]
    noise = np.exp(table.output_sigma[template] * rng.standard_normal(len(template)))
    tokens = np.where(factor > 0, reply_tokens * factor, table.output_median[template]) * noise
    result: I64 = np.maximum(np.ceil(tokens), 1).astype(np.int64)
    return result


def make_content(
    content: Content, frame: Frame, plan: Plan, corpus: Corpus, rng: np.random.Generator
) -> ContentRows:
    n = len(frame)
    table = corpus.templates
    if content.mode is ContentMode.CONVERSATIONS:
        template = np.full(n, table.index(CHAT.name), dtype=np.int32)
        prompt, completion = _instantiate(corpus, template, rng, _chat_fragments(corpus, frame, rng))
    elif content.mode is ContentMode.BENCHMARK:
        template = np.full(n, table.index(BENCHMARK.name), dtype=np.int32)
        item, _ = benchmark_position(plan, frame)
        members = corpus.pool.members_of("benchmark")
        fixed = members[plan.accounts.item_start[frame.account] + item]
        prompt, completion = _instantiate(corpus, template, rng, fixed)
    else:
        pinned = plan.accounts.template[frame.account]
        drawn = template_sampler(table, content.families)(rng, n)
        template = np.where(pinned >= 0, pinned, drawn).astype(np.int32)
        prompt, completion = _instantiate(corpus, template, rng)
    return ContentRows(
        template=template,
        prompt=prompt,
        completion=completion,
        prompt_tokens=corpus.pool.tokens[prompt].sum(axis=1).astype(np.int64),
        output_tokens=_output_tokens(corpus, template, completion, rng),
        hidden_tokens=table.hidden_tokens[template].astype(np.int64),
    )


def conversation_history(frame: Frame, tokens: I64) -> I64:
    """Tokens of earlier turns of the same conversation, which a chat request re-sends as context."""
    total = np.cumsum(tokens)
    before = total - tokens
    return before - before[segment_starts(frame.conversation_start)]
