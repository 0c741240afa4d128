"""The HTML report: campaigns ranked, each with the evidence a reviewer reads first.

Per campaign: a timeline of its hourly requests against the human ceiling, the account-link
graph, the capability mix of its sampled prompts, sample prompts (shown as the findings show
them: hashed by default), and the signal table. One self-contained file: plots are inline PNG
(matplotlib, Agg backend), no scripts, no external assets, so it can be filed as an exhibit.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pyarrow.compute as pc

from distillgov.detect.lexicon import CAPABILITY_AREAS
from distillgov.detect.linkage import KIND_WEIGHTS
from distillgov.detect.pipeline import Analysis

MAX_CAMPAIGNS = 25  # the report is for reading; the findings JSON lists every campaign
MAX_GRAPH_ACCOUNTS = 60

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0;font-size:90%}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:left;vertical-align:top}th{background:#f3f3f3}.campaign{border-top:3px solid #444;margin-top:2em}
.plots img{max-width:49%;margin-right:1%}code{font-size:85%}.muted{color:#666}
"""


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return '<img alt="plot" src="data:image/png;base64,' + base64.b64encode(buffer.getvalue()).decode() + '">'


def _timeline(analysis: Analysis, accounts: list[str]) -> str:
    hours = analysis.partials.hour
    mask = pc.is_in(hours.column("account_id"), value_set=_strings(accounts))
    rows = hours.filter(mask).group_by("hour").aggregate([("requests", "sum")]).sort_by("hour")
    fig, ax = plt.subplots(figsize=(6, 2.6))
    times = np.asarray(rows.column("hour").to_pylist(), dtype="datetime64[us]")
    counts = np.asarray(rows.column("requests_sum").to_pylist(), dtype=np.float64)
    ax.plot(times, counts, lw=0.8, label="campaign")
    ceiling = analysis.baselines["requests_per_active_hour"]
    if np.isfinite(ceiling.value):
        ax.axhline(ceiling.value, color="red", ls="--", lw=1, label=f"one person, p{ceiling.percentile:g}")
        ax.axhline(ceiling.value * len(accounts), color="orange", ls=":", lw=1, label="every account at that")
    ax.set_ylabel("requests / hour")
    ax.set_title("Timeline against the human ceiling", fontsize=9)
    ax.legend(fontsize=7)
    fig.autofmt_xdate()
    return _png(fig)


def _strings(values: list[str]) -> Any:
    import pyarrow as pa

    return pa.array(values, pa.string())


def _graph(analysis: Analysis, accounts: list[str]) -> str:
    community = analysis.linkage.community_of.get(accounts[0])
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.set_title("Account-link graph (accounts: dots; shared values: squares)", fontsize=9)
    ax.axis("off")
    if community is None:
        ax.text(0.5, 0.5, "no shared identities", ha="center")
        return _png(fig)
    shown = set(accounts[:MAX_GRAPH_ACCOUNTS])
    graph = nx.Graph()
    for account, kind, value in analysis.linkage.edges[community]:
        if account in shown:
            graph.add_edge(account, (kind, value), kind=kind)
    layout = nx.spring_layout(graph, seed=1)
    values = [n for n in graph if isinstance(n, tuple)]
    colours = plt.get_cmap("tab10")
    kinds = sorted(KIND_WEIGHTS)
    nx.draw_networkx_edges(graph, layout, ax=ax, alpha=0.3, width=0.5)
    nx.draw_networkx_nodes(graph, layout, nodelist=sorted(shown & set(graph)), node_size=25, ax=ax)
    for i, kind in enumerate(kinds):
        nodes = [n for n in values if n[0] == kind]
        if nodes:
            nx.draw_networkx_nodes(
                graph,
                layout,
                nodelist=nodes,
                node_shape="s",
                node_size=18,
                node_color=[colours(i)],
                ax=ax,
                label=kind,
            )
    ax.legend(fontsize=6, loc="lower left")
    return _png(fig)


def _capability_mix(analysis: Analysis, accounts: list[str]) -> str:
    sample = analysis.partials.sample
    rows = sample.filter(pc.is_in(sample.column("account_id"), value_set=_strings(accounts)))
    names = [*CAPABILITY_AREAS, "elicits"]
    counts = [int(pc.sum(rows.column(f"cap_{a}" if a != "elicits" else a)).as_py() or 0) for a in names]
    fig, ax = plt.subplots(figsize=(4, 2.4))
    ax.barh(names, [c / max(rows.num_rows, 1) for c in counts])
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of {rows.num_rows} sampled prompts")
    ax.set_title("Capability mix and reasoning elicitation", fontsize=9)
    return _png(fig)


def _signal_table(signals: list[dict[str, Any]]) -> str:
    rows = []
    for s in signals:
        baseline = s.get("baseline") or {}
        rows.append(
            f"<tr><td><code>{html.escape(s['name'])}</code></td><td>{s['value']}</td>"
            f"<td>{baseline.get('value', '')}</td><td>{html.escape(s['explanation'])}</td></tr>"
        )
    return (
        "<table><tr><th>signal</th><th>value</th><th>baseline</th><th>explanation</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _prompts(prompts: list[dict[str, Any]]) -> str:
    items = []
    for p in prompts:
        text = html.escape(p["text"]) if p.get("text") else f"<span class=muted>sha256 {p['sha256']}</span>"
        items.append(f"<li>{text} <span class=muted>({p.get('chars')} chars)</span></li>")
    mode = html.escape(prompts[0]["display"]) if prompts else "none sampled"
    return f"<p class=muted>Sample prompts — {mode}</p><ul>{''.join(items)}</ul>"


def render(analysis: Analysis, findings: dict[str, Any]) -> str:
    """The report as one HTML document."""
    params = findings["parameters"]
    campaigns = sorted(findings["campaigns"], key=lambda c: (-(c["score"] or 0), -len(c["accounts"])))
    parts = [
        "<!doctype html><html><head><meta charset=utf-8><title>distillgov findings</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Distillation campaign findings</h1>",
        f"<p>{findings['summary']['accounts']:,} accounts, {findings['summary']['flagged']:,} flagged in "
        f"{findings['summary']['campaigns']:,} campaign(s). Threshold {params['threshold']} (estimated "
        f"false-positive rate {params['estimated_fpr']}, target {params['target_fpr']}); baselines are the "
        f"{params['baseline_percentile']:g}th percentiles of this traffic. Tool "
        f"{html.escape(findings['tool']['name'])} {html.escape(findings['tool']['version'])}.</p>",
        "<table><tr><th>input</th><th>rows</th><th>sha256</th></tr>"
        + "".join(
            f"<tr><td>{html.escape(i['path'])}</td><td>{i['rows']:,}</td><td><code>{i['sha256']}</code></td></tr>"
            for i in findings["inputs"]
        )
        + "</table>",
    ]
    if params["signals_not_computed"]:
        parts.append(
            "<p>Not computed: "
            + "; ".join(
                f"<code>{k}</code> ({html.escape(v)})" for k, v in params["signals_not_computed"].items()
            )
            + "</p>"
        )
    for rank, campaign in enumerate(campaigns[:MAX_CAMPAIGNS], start=1):
        accounts = campaign["accounts"]
        parts += [
            f"<div class=campaign><h2>{rank}. {campaign['campaign_id']}</h2>",
            f"<p>{len(accounts)} flagged account(s) of a linked community of "
            f"{campaign['community_accounts']}; score {campaign['score']}; "
            f"{campaign['requests']:,} requests, {campaign['output_tokens']:,} output tokens, "
            f"{html.escape(campaign['first_seen'] or '')} to {html.escape(campaign['last_seen'] or '')}.</p>",
            "<div class=plots>",
            _timeline(analysis, accounts),
            _graph(analysis, accounts),
            _capability_mix(analysis, accounts),
            "</div>",
            _signal_table(campaign["signals"]),
            _prompts(campaign["sample_prompts"]),
            "</div>",
        ]
    if len(campaigns) > MAX_CAMPAIGNS:
        parts.append(f"<p>{len(campaigns) - MAX_CAMPAIGNS} more campaign(s) in the findings JSON.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(analysis: Analysis, findings: dict[str, Any], path: Path) -> None:
    """Render and write the report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(analysis, findings), encoding="utf-8")
