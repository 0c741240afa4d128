"""Word lists that classify a prompt: which capability it asks for, and whether it asks for reasoning.

Kept apart from the feature code so that a reviewer can read (and a provider can extend) the
vocabulary in one place. The lists are deliberately generic, written from how people phrase these
requests in the major languages, not from any simulator's templates: a detector that knew the
test generator's wording would measure nothing. Matching is a case-insensitive regular
expression over the prompt, evaluated by the engine (DuckDB or Spark), so the patterns use only
syntax both support (no look-around, no back-references).
"""

from __future__ import annotations

# Asking the model to expose its reasoning: the raw material of reasoning-trace distillation.
REASONING_ELICITATION = "|".join(
    (
        r"step[- ]by[- ]step",
        r"chain[- ]of[- ]thought",
        r"show (all )?(your|the) (work|reasoning|steps)",
        r"(explain|describe|lay out|narrate|walk through) (your|the|every|each)[a-z ]{0,20}"
        r"(reasoning|thinking|thought|steps?)",
        r"reason(ing)? (carefully|explicitly|through|out loud|in detail)",
        r"(full|complete|entire|whole|internal|detailed) (reasoning|thought|thinking|chain)",
        r"<thinking>",
        r"think (it )?(through|carefully|hard)",
        r"paso a paso",
        r"razonamiento",
        r"razona",
        r"[ée]tape par [ée]tape",
        r"raisonnement",
        r"schritt f[üu]r schritt",
        r"gedankeng[äa]ng",
        r"passo a passo",
        r"racioc[íi]nio",
        r"ragionamento",
        r"шаг за шагом",
        r"рассужден",
        r"一步一步",
        r"逐步",
        r"推理",
        r"思考过程",
        r"ステップ",
        r"段階的",
        r"思考",
        r"단계별",
        r"추론",
        "ad\u0131m ad\u0131m",  # Turkish "step by step" (dotless i)
    )
)

# Capability areas named in public disclosures of distillation campaigns: reasoning, coding, agents.
CAPABILITY_AREAS: dict[str, str] = {
    "math_reasoning": "|".join(
        (
            r"\d+ ?(%|percent|\+|\*|/|=|x )",
            r"\b(solve|calculate|compute|prove|probability|equation|integer|how many|how much|remainder)\b",
            r"\b(logic puzzle|riddle|deduce|theorem)\b",
        )
    ),
    "code": "|".join(
        (
            r"\b(python|javascript|typescript|java|c\+\+|rust|golang|kotlin|sql|bash|regex)\b",
            r"\b(function|algorithm|implement|refactor|debug|compile|unit tests?|class|api|script)\b",
            r"```",
            r"\bdef |=>|\);",
        )
    ),
    "agentic": "|".join(
        (
            r"tool[ _-]?calls?",
            r"function[ _-]?call",
            r"\b(available tools|use the tools|tools:|agent)\b",
            r"\b(plan the|execute the|run the|set up|migrate|deploy|automate)\b",
            r"\"(name|arguments|parameters)\" ?:",
        )
    ),
}
OTHER_AREA = "other"
