"""The supply report's texts (``vigil.supply.report.WORDS``) in the user's language: the report
module is pure (no Django), so its words are translated here and handed to it."""

from __future__ import annotations

from django.utils.translation import gettext as _


def report_words() -> dict[str, str]:
    """Every key of ``vigil.supply.report.WORDS``, translated (``{...}`` placeholders kept)."""
    return {
        "generated": _("Generated {when}."),
        "intro": _(
            "Worst-path risk R (attenuated maximum along the chain), exposure E (noisy-OR weighted "
            "by shares); every score names its sources."
        ),
        "graph": _("The supply graph"),
        "by_tier": _("Risk by tier"),
        "by_country": _("Risk by country"),
        "top_paths": _("Top worst paths"),
        "remediation": _("Ranked remediation"),
        "plans": _("Corrective plans"),
        "not_linked": _("not linked"),
        "tier_n": _("tier {n}"),
        "max_mean": _("max {max} · mean {mean}"),
        "milestone_due": _("{title} ({owner}, due {due})"),
        "milestone_done": _("{title} ({owner}, due {due}, done {done})"),
        "id": _("id"),
        "name": _("name"),
        "kind": _("kind"),
        "country": _("country"),
        "tier": _("tier"),
        "own_risk": _("own risk"),
        "risk_r": _("risk R"),
        "exposure_e": _("exposure E"),
        "worst_path": _("worst path"),
        "sources": _("sources"),
        "entities": _("entities"),
        "mean_risk": _("mean risk"),
        "highest_risk": _("highest risk"),
        "entity": _("entity"),
        "score": _("score"),
        "action": _("action"),
        "why": _("why"),
        "plan": _("plan"),
        "status": _("status"),
        "milestones": _("milestones"),
        "rank": _("rank"),
        "risk": _("risk"),
        "leverage": _("leverage"),
        "severity": _("severity"),
        "recency": _("recency"),
        "milestone": _("milestone"),
        "owner": _("owner"),
        "due": _("due"),
        "done": _("done"),
        "report": _("report"),
        "generated_at": _("generated"),
        "sheet_entities": _("Entities"),
        "sheet_by_tier": _("By tier"),
        "sheet_by_country": _("By country"),
        "sheet_top_paths": _("Top paths"),
        "sheet_remediation": _("Remediation"),
        "sheet_plans": _("Plans"),
        "sheet_about": _("About"),
    }
