"""The memo: a report a lawyer can read, in Markdown or HTML, built only from the JSON report.

Its order is a legal memo's: the question, the short answer under each regime side by side, the
reasoning in prose (each step citing its rule and sources), then every assumption and every
uncertainty listed, then provenance. It is built once as a list of blocks and rendered twice, so
the two formats cannot drift apart.
"""

from __future__ import annotations

import html
import re
from typing import Any

from distillgov.law.facts import schema

Item = tuple[str, list[Any]]
Block = tuple[str, Any]

LABELS = {
    "trade_secret.protectable": "Trade secret — protectable subject matter",
    "trade_secret.improper_means": "Trade secret — improper means",
    "trade_secret.reverse_engineering_defense": "Trade secret — reverse-engineering exclusion",
    "trade_secret.downstream_knowledge": "Trade secret — downstream user's knowledge",
    "trade_secret.misappropriation": "Trade secret — misappropriation",
    "contract.bound": "Contract — party bound by a restriction",
    "contract.within_terms": "Contract — conduct within the restriction",
    "contract.enforceable": "Contract — restriction enforceable",
    "contract.breach": "Contract — breach",
    "copyright.infringement": "Copyright — infringement",
    "patent.reach": "Patent — reaches the conduct",
    "classification": "Classification",
    "safe_harbors.reverse_engineering": "Safe harbor — good-faith reverse engineering",
    "safe_harbors.non_commercial_research": "Safe harbor — non-commercial research",
    "safe_harbors.accountability_audit": "Safe harbor — accountability audit",
    "safe_harbors.transformative_fair_use": "Safe harbor — transformative fair use",
    "conditions.transparency": "Immunity condition — transparency",
    "conditions.privacy": "Immunity condition — privacy",
    "conditions.safety": "Immunity condition — safety",
    "immunity.granted": "Immunity",
    "compulsory_license.applies": "Compulsory licence",
    "compulsory_license.window_open": "Compulsory-licensing window open",
    "levy.due": "Levy due",
}
NOT_ARISING = "no rule applies (the question does not arise on these facts)"
REGIME_TITLES = {"current_us": "Current US law", "proposed": "Proposed regime (Guan)"}


def _words(value: Any) -> str:
    if value is None:
        return "— (no rule applies)"
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value) or "none"
    return str(value).replace("_", " ")


def _answer_of(block: dict[str, Any], key: str) -> Any:
    node: Any = block
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def build(report: dict[str, Any]) -> list[Block]:
    """The memo as blocks, from a report produced by distillgov.law.assess.report."""
    regimes = [r for r in REGIME_TITLES if r in report]
    blocks: list[Block] = [
        ("h1", f"Memorandum: distillation of {_fact(report, 'teacher.owner', 'an unnamed owner')}'s model"),
        (
            "p",
            f"As of **{report['as_of']}** ({report['as_of_source']}). "
            f"Facts sha256 `{report['facts_sha256'][:16]}…`.",
        ),
        ("h2", "Question"),
        ("p", _question(report)),
        ("h2", "Short answer"),
        _short_answer(report, regimes),
    ]
    for regime in regimes:
        blocks.append(("h2", f"Reasoning — {REGIME_TITLES[regime]}"))
        blocks.extend(_reasoning(report[regime]))
    blocks.extend(_assumptions(report, regimes))
    blocks.extend(_uncertainties(report, regimes))
    blocks.extend(_provenance(report))
    return blocks


def _fact(report: dict[str, Any], path: str, default: str) -> str:
    value = _answer_of(report["facts"], path)
    return default if value is None else str(value)


def _question(report: dict[str, Any]) -> str:
    method = {
        "api_queries": "training on outputs obtained by querying",
        "weights_copied": "copying the weights of",
        "weights_finetuned": "fine-tuning from the weights of",
    }
    used = method.get(str(_answer_of(report["facts"], "conduct.method")), "using (by means not stated)")
    distiller = _fact(report, "distiller.name", "the distiller")
    relationship = _fact(report, "distiller.relationship", "unknown").replace("_", " ")
    authorization = _fact(report, "distiller.authorization", "unknown").replace("_", " ")
    owner = _fact(report, "teacher.owner", "the owner")
    purpose = _fact(report, "conduct.purpose", "an unstated").replace("_", " ")
    return (
        f"Whether {distiller} (relationship to the owner: {relationship}; authorization: {authorization}) "
        f"is exposed to liability under current US law for {used} {owner}'s model, for {purpose} purposes, "
        "and how the proposed regime would treat the same conduct."
    )


def _short_answer(report: dict[str, Any], regimes: list[str]) -> Block:
    columns: list[list[str]] = []
    for regime in regimes:
        block = report[regime]
        if regime == "current_us":
            keys = [
                k for k in LABELS if k.split(".")[0] in ("trade_secret", "contract", "copyright", "patent")
            ]
            cells = [
                f"{LABELS[k]}: **{_words(_answer_of(block, k))}**"
                for k in keys
                if _has(block, k) and k not in block["no_rule_applies"]
            ]
        else:
            cells = _proposed_cells(block)
        columns.append(cells)
    height = max(len(c) for c in columns)
    rows = [[c[i] if i < len(c) else "" for c in columns] for i in range(height)]
    return ("table", ([REGIME_TITLES[r] for r in regimes], rows))


def _has(block: dict[str, Any], key: str) -> bool:
    group, _, leaf = key.partition(".")
    return leaf in block.get(group, {})


def _proposed_cells(block: dict[str, Any]) -> list[str]:
    immunity = block["immunity"]
    licence = block["compulsory_license"]
    levy = block["levy"]
    cells = [
        f"Classification: **{_words(block['classification'])}**",
        f"Safe harbors: **{_words(block['safe_harbors'])}**"
        + (
            f" (uncertain: {_words(block['safe_harbors_uncertain'])})"
            if block["safe_harbors_uncertain"]
            else ""
        ),
        f"Immunity: **{_words(immunity['granted'])}**"
        + (f" (unmet: {_words(immunity['unmet_conditions'])})" if immunity["unmet_conditions"] else ""),
        f"Compulsory licence: **{_words(licence['applies'])}**",
    ]
    if licence["window_open"] is not None:
        ends = f", ends {licence['window_ends']}" if licence["window_ends"] else ""
        cells.append(f"Window open: **{_words(licence['window_open'])}**{ends}")
    due = f"Levy due: **{_words(levy['due'])}**"
    if levy["rate"] is not None:
        due += f" (rate {levy['rate']} of {levy['base']}; UNSOURCED — assumption)"
    cells.append(due)
    return cells


def _reasoning(block: dict[str, Any]) -> list[Block]:
    out: list[Block] = []
    seen: set[str] = set()
    by_key: dict[str, list[dict[str, Any]]] = {}
    for node in block["justification"]:
        by_key.setdefault(node["answer_key"], []).append(node)
    for key, nodes in by_key.items():
        if key in block["no_rule_applies"]:
            continue  # listed once, under Uncertainties
        first = nodes[0]
        heading = f"{LABELS.get(key, key)}: {_words(first['answer'])}"
        if first["basis"] == "facts":
            heading += " (depends on unknown facts)"
        elif first["basis"] == "doctrine":
            heading += " (unsettled law)"
        out.append(("h3", heading))
        if first["basis"] == "facts":
            out.append(("p", "Depends on: " + "; ".join(_describe_fact(d) for d in first["depends_on"])))
        out.append(("tree", [_item(node, seen) for node in nodes]))
        seen.add(first["predicate"])
    return out


def _item(node: dict[str, Any], seen: set[str]) -> Item:
    if node["rule"] is None:
        return (node["sentence"], [])
    lead = {"may_apply": "If this rule applies: ", "conflict": "In conflict: "}.get(node["status"], "")
    cites = "; ".join(c["text"] for c in node["citation"])
    text = f"{lead}{node['sentence']} — `{node['rule']}` ({cites})"
    children: list[Item] = []
    for child in node["children"]:
        if child["predicate"] in seen:
            note = f'the answer to "{child["question"]}" is {_words(child["answer"])} (reasoned above).'
            if all(c[0] != note for c in children):
                children.append((note, []))
            continue
        children.append(_item(child, seen))
    seen.update(child["predicate"] for child in node["children"])
    return (text, children)


def _describe_fact(path: str) -> str:
    if path.startswith("param:"):
        return f"`{path[6:]}` (a parameter with no value in force at this date)"
    field = schema().fields.get(path)
    return f"`{path}` — {field.question}" if field else f"`{path}`"


def _walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node["children"]))
    return out


def _assumptions(report: dict[str, Any], regimes: list[str]) -> list[Block]:
    unsourced = [p for p in report["parameters"]["used"] if p["unsourced"]]
    readings = {a["text"]: a["rule"] for r in regimes for a in report[r]["assumptions"]}
    unverified: dict[str, str] = {}
    for regime in regimes:
        for node in _walk(report[regime]["justification"]):
            for entry in node["citation"]:
                if str(entry.get("verified", "")).startswith("NOT VERIFIED"):
                    unverified.setdefault(
                        entry["authority"], f"{entry['text'].split(', at ')[0]}: {entry['verified']}"
                    )
    blocks: list[Block] = [("h2", "Assumptions")]
    blocks.append(("h3", "Parameters without a source (UNSOURCED — assumption)"))
    blocks.append(
        (
            "ul",
            [
                f"`{p['name']}` = {p['value']} (from {p['effective_from']}): {p['reference']}"
                for p in unsourced
            ],
        )
    )
    blocks.append(("h3", "Readings chosen where the sources are silent"))
    blocks.append(("ul", [f"{text} (`{rule}`)" for text, rule in readings.items()]))
    blocks.append(("h3", "Authorities relied on but not verified in this project"))
    blocks.append(("ul", sorted(unverified.values())))
    clause = report.get("current_us", {}).get("contract", {}).get("terms_of_service_clause")
    if clause:
        blocks.append(("h3", "Terms of service relied on"))
        blocks.append(
            (
                "ul",
                [
                    f"{clause['provider']}, {clause['document']}, {clause['section']} "
                    f"({clause['date'] or 'date unverified'}; {clause['date_basis']}): "
                    f"\u201c{clause['wording']}\u201d — wording: {clause['wording_verified']}"
                ],
            )
        )
    return blocks


def _uncertainties(report: dict[str, Any], regimes: list[str]) -> list[Block]:
    items: list[str] = []
    for regime in regimes:
        block = report[regime]
        for entry in block["uncertainties"]:
            label = f"{REGIME_TITLES[regime]} — {LABELS.get(entry['answer_key'], entry['answer_key'])}"
            if entry["basis"] == "facts":
                facts = "; ".join(_describe_fact(d) for d in entry["depends_on"])
                items.append(f"{label}: uncertain because facts are unknown — {facts}")
            elif entry["basis"] == "conflict":
                items.append(f"{label}: CONFLICT between rules {', '.join(entry['rules'])}")
            else:
                why = " ".join(
                    n["sentence"]
                    for n in block["justification"]
                    if n["answer_key"] == entry["answer_key"] and n["rule"] in entry["rules"]
                )
                items.append(f"{label}: unsettled law — {why}")
        items.extend(
            f"{REGIME_TITLES[regime]} — {LABELS.get(key, key)}: {NOT_ARISING}"
            for key in block["no_rule_applies"]
        )
    return [("h2", "Uncertainties"), ("ul", items)]


def _provenance(report: dict[str, Any]) -> list[Block]:
    lines = [f"Tool: {report['tool']['name']} {report['tool']['version']}"]
    lines.append(f"Facts sha256 ({report['facts_hashed']}): `{report['facts_sha256']}`")
    lines.extend(f"Rulebook {r['name']} {r['version']}: sha256 `{r['sha256']}`" for r in report["rulebooks"])
    lines.extend(f"Parameters: {s['path']} sha256 `{s['sha256']}`" for s in report["parameters"]["sources"])
    return [("h2", "Provenance"), ("ul", lines)]


# --- renderers --------------------------------------------------------------------------


def to_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3"):
            out.append(f"{'#' * int(kind[1])} {content}\n")
        elif kind == "p":
            out.append(f"{content}\n")
        elif kind == "ul":
            out.append("\n".join(f"- {item}" for item in content) + "\n" if content else "- none\n")
        elif kind == "tree":
            out.append("\n".join(_md_tree(content, 0)) + "\n")
        elif kind == "table":
            header, rows = content
            out.append("| " + " | ".join(header) + " |")
            out.append("|" + "---|" * len(header))
            out.extend("| " + " | ".join(row) + " |" for row in rows)
            out.append("")
    return "\n".join(out)


def _md_tree(items: list[Item], depth: int) -> list[str]:
    lines: list[str] = []
    for text, children in items:
        lines.append(f"{'  ' * depth}- {'because ' if depth else ''}{text}")
        lines.extend(_md_tree(children, depth + 1))
    return lines


_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"`(.+?)`"), r"<code>\1</code>"),
)


def _inline(text: str) -> str:
    escaped = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        escaped = pattern.sub(replacement, escaped)
    return escaped


def to_html(blocks: list[Block]) -> str:
    body: list[str] = []
    for kind, content in blocks:
        if kind in ("h1", "h2", "h3", "p"):
            body.append(f"<{kind}>{_inline(content)}</{kind}>")
        elif kind == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in content or ["none"]) + "</ul>")
        elif kind == "tree":
            body.append(_html_tree(content, 0))
        elif kind == "table":
            header, rows = content
            head = "".join(f"<th>{_inline(h)}</th>" for h in header)
            cells = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>")
    title = _inline(blocks[0][1]) if blocks else "Memorandum"
    style = (
        "body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;line-height:1.45}"
        "table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:.4rem;vertical-align:top}"
        "code{font-size:.85em}"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _html_tree(items: list[Item], depth: int) -> str:
    parts = []
    for text, children in items:
        inner = _html_tree(children, depth + 1) if children else ""
        parts.append(f"<li>{'because ' if depth else ''}{_inline(text)}{inner}</li>")
    return "<ul>" + "".join(parts) + "</ul>"


def render(report: dict[str, Any], fmt: str) -> str:
    """The memo in 'md' or 'html'."""
    blocks = build(report)
    return to_markdown(blocks) if fmt == "md" else to_html(blocks)
