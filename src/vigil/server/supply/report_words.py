"""The words of the supply report (``vigil.supply.report.MESSAGES``), listed here so that
``makemessages`` extracts them into this app's catalogue; the report, which does not import
Django, reads the compiled catalogue itself (``vigil.supply.report.catalogue``). A test keeps this
list equal to ``MESSAGES``."""

from django.utils.translation import gettext_noop

WORDS = (
    gettext_noop("Supply-chain due diligence report"),
    gettext_noop(
        "Generated %(when)s. Worst-path risk R (attenuated maximum along the chain), exposure E "
        "(noisy-OR weighted by shares); every score names its sources."
    ),
    gettext_noop("The supply graph"),
    gettext_noop("Risk by tier"),
    gettext_noop("Risk by country"),
    gettext_noop("Top worst paths"),
    gettext_noop("Ranked remediation"),
    gettext_noop("Corrective plans"),
    gettext_noop("Tier {n}"),
    gettext_noop("Company"),
    gettext_noop("Not linked"),
    gettext_noop("risk"),
    gettext_noop("Supply graph: tiers as columns, worst-path risk as colour"),
    gettext_noop("max %(max)s · mean %(mean)s"),
    gettext_noop("tier"),
    gettext_noop("entities"),
    gettext_noop("mean risk"),
    gettext_noop("highest risk"),
    gettext_noop("country"),
    gettext_noop("entity"),
    gettext_noop("risk R"),
    gettext_noop("exposure E"),
    gettext_noop("worst path"),
    gettext_noop("sources"),
    gettext_noop("kind"),
    gettext_noop("score"),
    gettext_noop("action"),
    gettext_noop("why"),
    gettext_noop("plan"),
    gettext_noop("status"),
    gettext_noop("milestones"),
    gettext_noop("milestone"),
    gettext_noop("owner"),
    gettext_noop("due"),
    gettext_noop("done"),
    gettext_noop("id"),
    gettext_noop("name"),
    gettext_noop("own risk"),
    gettext_noop("rank"),
    gettext_noop("leverage"),
    gettext_noop("severity"),
    gettext_noop("recency"),
    gettext_noop("report"),
    gettext_noop("generated"),
    gettext_noop("%(milestone)s (%(owner)s, due %(due)s)"),
    gettext_noop("%(milestone)s (%(owner)s, due %(due)s, done %(done)s)"),
    gettext_noop("Entities"),
    gettext_noop("By tier"),
    gettext_noop("By country"),
    gettext_noop("Top paths"),
    gettext_noop("Remediation"),
    gettext_noop("Plans"),
    gettext_noop("About"),
    gettext_noop("company"),
    gettext_noop("supplier"),
    gettext_noop("facility"),
    gettext_noop("recruiter"),
    gettext_noop(
        "escalate: senior contact within 30 days, remediation for the workers first "
        "(fees repaid, documents returned), corrective plan with milestones and owners; "
        "disengage only as a last resort: after a corrective plan failed (say why), "
        "with a plan for the workers' wages, jobs and remediation"
    ),
    gettext_noop("engage: corrective action plan with milestones and owners, follow-up audit"),
    gettext_noop("monitor: keep the data current, review at the next cycle"),
)
