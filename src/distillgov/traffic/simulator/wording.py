"""Synthetic wording: the templates, slot values and paraphrases that prompts are assembled from.

Only what real traffic cannot supply lives here: the narrow instructions of production apps,
the fixed benchmark an eval harness replays, and the harvesting wrappers campaigns put around
tasks (reasoning elicitation, long-output demands, agent tool schemas). Paraphrase pieces come
in several languages because harvesting campaigns have been seen prompting in many languages,
which defeats exact and near-duplicate template hashing.

Generators take a `random.Random` so the rendered lists are fixed for a package version and can
be cached; the run seed only decides which of them each request uses.
"""

# ruff: noqa: RUF001  (the paraphrases are in Chinese, Russian, ... and use their own punctuation)
from __future__ import annotations

import random

NAMES = (
    "Aisha",
    "Ben",
    "Carlos",
    "Dana",
    "Elif",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
)
ITEMS = (
    ("notebook", "notebooks"),
    ("apple", "apples"),
    ("ticket", "tickets"),
    ("bag of rice", "bags of rice"),
    ("pencil", "pencils"),
    ("cupcake", "cupcakes"),
    ("bus pass", "bus passes"),
    ("plant", "plants"),
    ("T-shirt", "T-shirts"),
    ("book", "books"),
    ("light bulb", "light bulbs"),
    ("jar of honey", "jars of honey"),
)
PLACES = ("bakery", "hardware store", "school fair", "farmers' market", "bookshop", "garden centre")


def _price_problem(rng: random.Random) -> tuple[str, str]:
    name, (one, many), place = rng.choice(NAMES), rng.choice(ITEMS), rng.choice(PLACES)
    n, price = rng.randint(2, 19), rng.randint(2, 40)
    bill = (n * price // 50 + 1) * 50
    change = bill - n * price
    question = (
        f"A {place} sells each {one} for ${price}. {name} buys {n} {many} and pays with ${bill}. "
        f"How much change does {name} get?"
    )
    work = f"{n} {many} cost {n} x ${price} = ${n * price}. The change is ${bill} - ${n * price} = ${change}."
    return question, f"{work} The answer is {change}."


def _rate_problem(rng: random.Random) -> tuple[str, str]:
    name = rng.choice(NAMES)
    speed, hours, extra = rng.randint(3, 90), rng.randint(2, 9), rng.randint(1, 60)
    question = (
        f"{name} travels at {speed} km per hour for {hours} hours, then walks another {extra} km. "
        "How many kilometres does the whole trip cover?"
    )
    distance = speed * hours
    work = f"Riding covers {speed} x {hours} = {distance} km; adding {extra} km gives {distance + extra} km."
    return question, f"{work} The answer is {distance + extra}."


def _share_problem(rng: random.Random) -> tuple[str, str]:
    name, (_, many) = rng.choice(NAMES), rng.choice(ITEMS)
    friends, each = rng.randint(2, 9), rng.randint(2, 25)
    kept = rng.randint(1, 30)
    total = friends * each + kept
    question = (
        f"{name} had {total} {many}. After giving {each} to each of {friends} friends, how many "
        f"{many} does {name} have left?"
    )
    given = friends * each
    work = f"{name} gives away {friends} x {each} = {given}, leaving {total} - {given} = {kept}."
    return question, f"{work} The answer is {kept}."


def _percent_problem(rng: random.Random) -> tuple[str, str]:
    price, off = rng.randint(2, 60) * 10, rng.choice((10, 20, 25, 30, 40, 50))
    tax = rng.choice((0, 5, 10))
    discounted = price * (100 - off) / 100
    final = discounted * (100 + tax) / 100
    question = (
        f"A jacket costs ${price}. It is on sale for {off}% off, and then a {tax}% sales tax is added. "
        "What is the final price?"
    )
    rate = 1 + tax / 100
    work = f"After the discount it costs ${discounted:g}; with tax, ${discounted:g} x {rate:g} = ${final:g}."
    return question, f"{work} The answer is {final:g}."


def _age_problem(rng: random.Random) -> tuple[str, str]:
    a, b = rng.sample(NAMES, 2)
    younger, gap, years = rng.randint(3, 30), rng.randint(2, 25), rng.randint(2, 15)
    question = (
        f"{a} is {gap} years older than {b}. In {years} years, {b} will be {younger + years}. "
        f"How old is {a} now?"
    )
    work = f"{b} is {younger} now, so {a} is {younger} + {gap} = {younger + gap}."
    return question, f"{work} The answer is {younger + gap}."


MATH_GENERATORS = (_price_problem, _rate_problem, _share_problem, _percent_problem, _age_problem)

LOGIC_PROBLEMS = (
    "On an island, knights always tell the truth and knaves always lie. A says: 'B is a knave.' B says: "
    "'A and I are of the same kind.' What are A and B?",
    "Five people sit in a row. Ana is not at either end, Bo sits immediately left of Cy, Di is at the far "
    "right, and Ed is not next to Ana. Give every valid seating order.",
    "A bag holds 4 red, 5 blue and 3 green marbles. Two are drawn without replacement. What is the "
    "probability that they are different colours?",
    "Prove that the square root of 2 is irrational.",
    "Prove that there are infinitely many primes of the form 4k + 3.",
    "Show that every tree with n vertices has exactly n - 1 edges.",
    "A clock's hands overlap at 12:00. When is the next time they overlap, to the nearest second?",
    "How many trailing zeros does 250! have? Justify the count.",
    "Find all integer solutions of x^2 - y^2 = 45.",
    "Three boxes are labelled 'apples', 'oranges' and 'mixed', and every label is wrong. Picking one fruit "
    "from one box, how can you relabel all three correctly?",
    "Determine whether the series sum of 1/(n log n) from n = 2 converges.",
    "A rectangle's perimeter is 46 and its diagonal is 17. Find its area.",
    "Evaluate the integral of x * e^(2x) from 0 to 1.",
    "If f(x + y) = f(x) + f(y) for all reals and f is continuous, prove that f(x) = cx.",
    "Twelve coins look identical but one is counterfeit and differs in weight. Using a balance three "
    "times, find the coin and whether it is heavier or lighter.",
    "What is the expected number of rolls of a fair die until every face has appeared at least once?",
)

ALGORITHMS = (
    "an LRU cache with O(1) get and put",
    "Dijkstra's shortest-path algorithm on a weighted graph",
    "a trie that supports prefix search",
    "merge sort for linked lists",
    "a thread-safe bounded queue",
    "an interval tree with overlap queries",
    "a rate limiter using the token-bucket algorithm",
    "a JSON parser for a subset of the grammar",
    "topological sorting with cycle detection",
    "the Knuth-Morris-Pratt string search",
    "a consistent-hashing ring with virtual nodes",
    "a B-tree with insertion and search",
    "Union-Find with path compression and union by rank",
    "a regular-expression matcher supporting '.', '*' and '?'",
    "an A* path finder on a grid",
    "a skip list",
    "a min-heap based scheduler for timed jobs",
    "run-length encoding and decoding",
    "a simple Raft leader election",
    "a bloom filter with configurable false-positive rate",
    "matrix multiplication with Strassen's algorithm",
    "a CSV reader that handles quoted fields",
    "an event-sourced bank account aggregate",
    "a debounce and throttle utility",
    "the longest common subsequence with reconstruction",
    "a sudoku solver using backtracking",
    "a REST endpoint that paginates a database query",
    "a memory pool allocator",
    "a web crawler that respects robots.txt",
    "a diff algorithm for two text files",
)
LANGUAGES = (
    "Python",
    "Rust",
    "Go",
    "TypeScript",
    "Java",
    "C++",
    "C#",
    "Kotlin",
    "Swift",
    "Haskell",
    "Scala",
    "Ruby",
)
CODE_CONSTRAINTS = (
    "Include unit tests.",
    "Explain the time and space complexity.",
    "Handle every edge case explicitly.",
    "Do not use any third-party libraries.",
    "Make it production quality with full error handling.",
    "Add docstrings and comments for every function.",
    "Write it in an idiomatic, functional style.",
    "Optimise it for very large inputs.",
    "Make it safe for concurrent use.",
    "Provide a command-line interface around it.",
)

AGENT_TOOLSETS = (
    'You are an autonomous agent. Tools:\n[{"name": "search_web", "parameters": {"query": "string"}}, '
    '{"name": "read_url", "parameters": {"url": "string"}}, {"name": "python", "parameters": {"code": '
    '"string"}}, {"name": "write_file", "parameters": {"path": "string", "content": "string"}}]\n',
    'You are a software engineering agent working in a repository. Tools:\n[{"name": "bash", "parameters": '
    '{"command": "string"}}, {"name": "read_file", "parameters": {"path": "string"}}, {"name": "edit_file", '
    '"parameters": {"path": "string", "old": "string", "new": "string"}}, {"name": "run_tests", '
    '"parameters": {}}]\n',
    'You are a data analysis agent. Tools:\n[{"name": "sql_query", "parameters": {"query": "string"}}, '
    '{"name": "plot", "parameters": {"spec": "object"}}, {"name": "describe_table", "parameters": '
    '{"table": "string"}}]\n',
    'You are a browser automation agent. Tools:\n[{"name": "open_page", "parameters": {"url": "string"}}, '
    '{"name": "click", "parameters": {"selector": "string"}}, {"name": "type_text", "parameters": '
    '{"selector": "string", "text": "string"}}, {"name": "extract", "parameters": {"selector": "string"}}]\n',
)
AGENT_TASKS = (
    "Find the three most cited 2024 papers on protein folding and summarise their methods.",
    "The test suite fails on test_parse_dates. Find the cause and fix it.",
    "Which product category had the largest month-over-month revenue drop last quarter, and why?",
    "Book the cheapest refundable flight from Lisbon to Oslo next Friday.",
    "Refactor the payments module so that currency conversion is done in one place.",
    "Compare the pricing pages of three cloud GPU providers and tabulate the hourly H100 price.",
    "Add pagination to the /orders endpoint and update the tests.",
    "Build a churn cohort table by signup month from the events table.",
    "Migrate the project's configuration from INI files to YAML without breaking the CLI.",
    "Collect the changelogs of the last five releases of the library and list breaking changes.",
    "Find and remove the memory leak in the image-processing worker.",
    "Estimate the market size for electric cargo bikes in Germany with sources.",
    "Set up continuous integration that runs the linters and tests on every push.",
    "Reconcile the invoices table against the bank export and report mismatches.",
)
AGENT_ELICIT = (
    "Think step by step. Before every tool call, write out your reasoning in full; after the final step, "
    "explain the whole solution.",
    "Plan the entire approach first, reasoning out loud, then emit each tool call as JSON with the "
    "reasoning that justifies it.",
    "Narrate your complete internal reasoning at each step, including the options you rejected, and "
    "finish with a detailed report.",
)

ELICIT = (
    "\n\nThink step by step and show your complete reasoning before giving the final answer.",
    "\n\nBefore answering, write out your full chain of thought in detail, including every step.",
    "\n\nExplain your reasoning thoroughly, step by step, skipping nothing. Then state the final answer.",
    "\n\nReason through this carefully inside <thinking> tags first, then give a complete answer.",
    "\n\nWalk through your internal reasoning in full detail, including alternatives you considered and why "
    "you rejected them.",
    "\n\nGive a detailed, exhaustive solution. Show all work and justify every step.",
    "\n\nFirst restate the problem, then reason step by step, verify your answer, and finally summarise.",
    "\n\nRespond with the longest, most complete answer you can, including your full reasoning process.",
)
HARVEST_PREFIXES = (
    "",
    "You are an expert. ",
    "Answer as a world-class specialist would. ",
    "Task: ",
    "Solve the following. ",
    "You are a meticulous assistant. ",
)
TRACE_OPENERS = (
    "Let me work through this carefully, step by step.\n\n",
    "<thinking>\nThe request asks for a complete solution. First I will restate the problem.\n",
    "Okay, let me think about this. First, what exactly is being asked?\n\n",
    "I'll reason through this in detail before answering.\n\nStep 1: ",
    "Let's break the problem into parts and solve each one.\n\n",
)

# Paraphrase pieces: openers x task phrases x reasoning asks x format asks, per language.
PARAPHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "open": ("Please", "I need you to", "Now", "Your task is to", "Kindly", "Help me", "Go ahead and"),
        "task": (
            "solve the following problem",
            "work out the following",
            "answer this question",
            "handle the task below",
            "take care of this",
            "tackle the following",
        ),
        "reason": (
            "Think it through step by step.",
            "Lay out your entire reasoning process.",
            "Show every intermediate step of your thinking.",
            "Explain your full chain of reasoning.",
            "Reason carefully and explicitly before concluding.",
            "Describe how you arrive at the answer, in detail.",
            "Don't skip any reasoning steps.",
            "Make your thought process completely explicit.",
        ),
        "format": (
            "",
            "Use Markdown headings.",
            "Put the final answer on its own line.",
            "Number the steps.",
            "Be as thorough as possible.",
            "Write at length.",
        ),
    },
    "zh": {
        "open": ("请", "麻烦你", "你的任务是", "帮我", "请你认真地"),
        "task": ("解决下面的问题", "回答这个问题", "完成以下任务", "处理下面的内容"),
        "reason": (
            "请一步一步地思考。",
            "请详细写出完整的推理过程。",
            "展示你思考的每一个中间步骤。",
            "请先给出完整的思维链，再给出答案。",
            "不要跳过任何推理步骤。",
        ),
        "format": ("", "请用Markdown格式。", "最后单独一行给出答案。", "回答越详细越好。"),
    },
    "es": {
        "open": ("Por favor,", "Ahora", "A continuación,", "Oye,"),
        "task": (
            "resuelve el siguiente problema",
            "responde esta pregunta",
            "realiza la tarea siguiente",
            "trabaja en lo siguiente",
        ),
        "reason": (
            "Piensa paso a paso.",
            "Explica todo tu razonamiento en detalle.",
            "Muestra cada paso intermedio de tu razonamiento.",
            "No omitas ningún paso del razonamiento.",
        ),
        "format": (
            "",
            "Usa formato Markdown.",
            "Pon la respuesta final en una línea aparte.",
            "Sé lo más detallado posible.",
        ),
    },
    "ru": {
        "open": ("Пожалуйста,", "Теперь", "Далее", "Будь добр,"),
        "task": ("реши следующую задачу", "ответь на этот вопрос", "выполни задание ниже"),
        "reason": (
            "Рассуждай шаг за шагом.",
            "Подробно распиши весь ход рассуждений.",
            "Покажи каждый промежуточный шаг.",
            "Не пропускай ни одного шага рассуждения.",
        ),
        "format": (
            "",
            "Используй Markdown.",
            "Дай окончательный ответ отдельной строкой.",
            "Отвечай максимально подробно.",
        ),
    },
    "pt": {
        "open": ("Por favor,", "Agora", "A seguir,"),
        "task": ("resolva o problema a seguir", "responda esta pergunta", "realize a tarefa abaixo"),
        "reason": (
            "Pense passo a passo.",
            "Explique todo o seu raciocínio em detalhes.",
            "Mostre cada etapa intermediária do raciocínio.",
            "Não pule nenhuma etapa.",
        ),
        "format": (
            "",
            "Use Markdown.",
            "Coloque a resposta final em uma linha separada.",
            "Seja o mais detalhado possível.",
        ),
    },
    "ja": {
        "open": ("次の", "以下の", "お願いします。次の"),
        "task": ("問題を解いてください", "質問に答えてください", "タスクを実行してください"),
        "reason": (
            "段階的に考えてください。",
            "推論の過程をすべて詳しく書いてください。",
            "途中のステップをすべて示してください。",
            "考えの流れを省略せずに説明してください。",
        ),
        "format": (
            "",
            "Markdownで書いてください。",
            "最後に答えを一行で示してください。",
            "できるだけ詳しく答えてください。",
        ),
    },
    "ko": {
        "open": ("다음", "아래의", "부탁합니다. 다음"),
        "task": ("문제를 풀어 주세요", "질문에 답해 주세요", "작업을 수행해 주세요"),
        "reason": (
            "단계별로 생각해 주세요.",
            "추론 과정을 모두 자세히 적어 주세요.",
            "중간 단계를 빠짐없이 보여 주세요.",
            "생각의 흐름을 생략하지 말고 설명해 주세요.",
        ),
        "format": (
            "",
            "마크다운 형식을 사용해 주세요.",
            "마지막 줄에 최종 답을 적어 주세요.",
            "최대한 자세히 답해 주세요.",
        ),
    },
    "de": {
        "open": ("Bitte", "Jetzt", "Als Nächstes", "Sei so gut und"),
        "task": ("löse das folgende Problem", "beantworte diese Frage", "bearbeite die folgende Aufgabe"),
        "reason": (
            "Denke Schritt für Schritt.",
            "Lege deinen gesamten Denkprozess ausführlich dar.",
            "Zeige jeden Zwischenschritt.",
            "Lass keinen Denkschritt aus.",
        ),
        "format": (
            "",
            "Verwende Markdown.",
            "Gib die endgültige Antwort in einer eigenen Zeile an.",
            "Antworte so ausführlich wie möglich.",
        ),
    },
}
PARAPHRASE_LANGUAGE_WEIGHTS = {
    "en": 0.5,
    "zh": 0.16,
    "es": 0.07,
    "ru": 0.07,
    "pt": 0.05,
    "ja": 0.05,
    "ko": 0.05,
    "de": 0.05,
}

# Production-app instructions: each app account runs exactly one, as real integrations do.
APP_TEMPLATES: tuple[tuple[str, str, str, str, tuple[str, ...], float], ...] = (
    # (name, instruction, document slot, suffix, outputs, median output tokens)
    (
        "sentiment",
        "Classify the sentiment of the following customer message as positive, negative or neutral. "
        "Respond with one word.\n\nMessage: ",
        "ticket",
        "",
        ("positive", "negative", "neutral", "Negative", "Neutral"),
        2,
    ),
    (
        "routing",
        "You route support tickets. Assign the ticket to exactly one queue: billing, technical, account, "
        "sales, other. Output only the queue name.\n\nTicket:\n",
        "ticket",
        "\n\nQueue:",
        ("billing", "technical", "account", "sales", "other"),
        3,
    ),
    (
        "extraction",
        "Extract the following fields from the text and return JSON with keys topic, entities, "
        "language, action_required (true/false). Use null when a field is absent.\n\nText:\n",
        "document",
        "",
        (
            '{"topic": "software", "entities": [], "language": "en", "action_required": false}',
            '{"topic": "marketing", "entities": ["customer"], "language": "en", "action_required": true}',
            '{"topic": "education", "entities": null, "language": "en", "action_required": false}',
        ),
        45,
    ),
    (
        "summary",
        "Summarize the following document in at most two sentences for a busy executive.\n\n",
        "document",
        "\n\nSummary:",
        (),
        60,
    ),
    (
        "moderation",
        "Does the following user message violate the content policy (harassment, self-harm, "
        "illegal activity)? Answer yes or no, then give a one-line reason.\n\n",
        "ticket",
        "",
        ("no - ordinary request", "no - benign technical question", "yes - requests disallowed content"),
        9,
    ),
    (
        "keywords",
        "List up to five keywords for search indexing, comma-separated, for this text:\n\n",
        "document",
        "",
        ("pricing, onboarding, api, billing, support", "python, data, analysis", "marketing, growth, seo"),
        14,
    ),
)

ENTERPRISE_TOOL_TEMPLATES = ("summary", "extraction", "routing")

# Benign text that shares traits with harvesting: learners asking for worked solutions, a tutoring
# product whose system prompt demands step-by-step explanations, document generators that want
# long outputs, and the short-answer requests that label-harvesting campaigns also send.
STUDY_ASKS = (
    "\n\nCan you explain how to solve this step by step? I have an exam tomorrow.",
    "\n\nI keep getting a different answer. Where am I going wrong?",
    "\n\nhow do you do this one",
    "\n\nPlease show the steps, my teacher wants the working.",
    "\n\nIs there a quicker way to do this?",
    "\n\nExplain it simply please.",
    "\n\nWhat's the answer? And why?",
)
TUTOR_INSTRUCTION = (
    "You are a patient maths tutor for a learning app. Explain the solution step by step so that a "
    "12-year-old can follow, check the answer, and end with one similar practice question.\n\nProblem: "
)
DOCGEN_INSTRUCTIONS = (
    "Write a complete project status report from the notes below. Use headings for summary, progress, "
    "risks and next steps.\n\nNotes:\n",
    "Draft a detailed product description page (at least 800 words) based on this material:\n\n",
    "Turn the following into a full onboarding guide for new employees, with sections and examples:\n\n",
    "Write a long-form blog article expanding on the following text. Keep the facts, add structure:\n\n",
    "Produce a formal policy document from the following draft. Number every clause:\n\n",
    "Generate comprehensive meeting minutes and action items from this transcript:\n\n",
)
BRIEF_ASKS = (
    "\n\nAnswer in one or two sentences.",
    "\n\nBe brief.",
    "\n\nShort answer only.",
    "",
    "\n\nKeep it under 50 words.",
)
CODING_AGENT_PREAMBLES = (
    'You are a coding assistant running in the user\'s terminal. Tools:\n[{"name": "bash", "parameters": '
    '{"command": "string"}}, {"name": "read_file", "parameters": {"path": "string"}}, {"name": "edit_file", '
    '"parameters": {"path": "string", "old": "string", "new": "string"}}]\n',
    "You are an AI pair programmer inside the editor. The user's open file and the last command output "
    "follow. Reply with a patch or the next command.\n",
    'System: you can call tools. tools = [{"name": "search_code", "parameters": {"query": "string"}}, '
    '{"name": "run", "parameters": {"cmd": "string"}}, {"name": "apply_diff", "parameters": {"diff": '
    '"string"}}]\n',
)


def math_problems(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Word problems with worked answers: the currency of both reasoning benchmarks and trace harvesting."""
    return [rng.choice(MATH_GENERATORS)(rng) for _ in range(count)]


def code_tasks(rng: random.Random, count: int) -> list[str]:
    """Programming requests spanning algorithms, languages and constraints (a broad-capability harvest)."""
    return [
        f"Implement {rng.choice(ALGORITHMS)} in {rng.choice(LANGUAGES)}. {rng.choice(CODE_CONSTRAINTS)}"
        for _ in range(count)
    ]


def benchmark_items(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """A fixed evaluation set in the GSM8K style: the question plus a chain-of-thought cue, and its answer.

    Items are distinct, as in a real benchmark, so a run asks each question once per model.
    """
    items: dict[str, str] = {}
    while len(items) < count:
        question, answer = rng.choice(MATH_GENERATORS)(rng)
        items.setdefault(
            f"Question: {question}\nLet's think step by step.", f"Let's think step by step. {answer}"
        )
    return list(items.items())


def paraphrase_openings(language: str) -> list[str]:
    """Every opener x task phrase combination of one language, ending in the colon that precedes the task."""
    pieces = PARAPHRASES[language]
    joiner = "" if language in ("zh", "ja") else " "
    return [f"{o}{joiner}{t}:\n\n" for o in pieces["open"] for t in pieces["task"]]
