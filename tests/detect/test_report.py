"""The HTML report: self-contained, one section per campaign, no raw prompt text by default."""

from __future__ import annotations

import re

from conftest import Scored

from distillgov.detect.report import render


def test_report_has_a_section_with_plots_per_campaign_and_hides_prompts(scored: Scored) -> None:
    page = render(scored.analysis, scored.findings)
    campaigns = scored.findings["campaigns"]
    assert campaigns
    for campaign in campaigns:
        assert campaign["campaign_id"] in page
    assert len(re.findall(r'src="data:image/png;base64,', page)) == 3 * len(campaigns)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    sample = scored.analysis.partials.sample.column("prompt").to_pylist()
    flagged = {a for c in campaigns for a in c["accounts"]}
    texts = [
        p
        for p, a in zip(sample, scored.analysis.partials.sample.column("account_id").to_pylist(), strict=True)
        if a in flagged and p and len(p) > 40
    ]
    assert texts and not any(t[:40] in page for t in texts)
    assert "hashed" in page
