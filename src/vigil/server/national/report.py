"""The annual report of the national picture as PDF (fpdf2, decision 39) and XLSX (openpyxl).

:func:`build` gathers, for one year and the figures a user may see (``services.cases_of``), every
shown indicator with all its disaggregations for that year (disclosure-checked by the engine), the
indicator's chart over the years (the same Altair specification as the dashboard, rendered to
PNG by vl-convert), the flows between countries (map and legs), the methods notes, and the MSE or
survey estimates given as JSON files (``vigil estimate mse|survey --format json``) with their
intervals. :func:`to_pdf` and :func:`to_xlsx` write it; both say which cells are hidden and why.
The report holds counts only: no case, no person, no recruiter.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vigil.errors import InputError
from vigil.io.spreadsheet import formula_safe
from vigil.server.national import services
from vigil.server.national.models import Estimate as StoredEstimate
from vigil.stats import countries, flows, indicator_i18n
from vigil.stats.indicators import TOTAL, IndicatorResult

FORMATS = ("pdf", "xlsx")
LANGS = ("en", "fr", "es", "ar")
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")


@dataclass
class Breakdown:
    dimension: str
    title: str
    labels: list[str]
    values: list[int | float | None]  # the year's row, totals last
    hidden: dict[str, str]  # label -> reason

    def why(self, label: str, value: Any) -> str:
        """Why a cell has no number: hidden (the reason), or not defined (nothing to divide by)."""
        if label in self.hidden:
            return self.hidden[label]
        return _("not defined (no records)") if value is None else ""

    def shown(self, value: Any, label: str, kind: str) -> str:
        return "n/a" if value is None and label not in self.hidden else _fmt(value, kind)


@dataclass
class Section:
    id: str
    title: str
    kind: str
    value: int | float | None  # the year's total
    chart_png: bytes
    breakdowns: list[Breakdown]
    hidden_cells: int


@dataclass
class Estimate:
    source: str
    label: str
    value: float | None
    low: float | None
    high: float | None
    note: str = ""
    kind: str = ""  # mse | survey


@dataclass
class Report:
    year: str
    lang: str
    set_title: str
    set_version: str
    k: int
    generated: dt.datetime
    sections: list[Section]
    hidden_indicators: list[tuple[str, str]]
    flows: flows.FlowResult
    flow_map_png: bytes
    estimates: list[Estimate] = field(default_factory=list)

    def methods(self) -> list[str]:
        return [
            _("Indicators of the set “%(set)s”, version %(version)s, for the cases opened in %(year)s "
              "that the author of the report may count (for the coordinator and the analyst: cases "
              "with statistics consent in force).")
            % {"set": self.set_title, "version": self.set_version, "year": self.year},
            _("Disclosure control: every count of persons below %(k)s is hidden (primary "
              "suppression), and so is every cell that, with the published totals, would give a "
              "hidden count back (secondary suppression). A percentage is hidden when its numerator "
              "or its denominator is; a median is hidden with its count.") % {"k": self.k},
            _("Charts show the published totals of every year; a hidden year is a gap."),
            _("Flows: the countries of the recruitment, journey and work stages of each case in the "
              "order of its timeline; persons are counted once per leg between two countries, and "
              "the legs pass the same disclosure control."),
            _("Estimates (multiple systems estimation, surveys) are shown with the intervals of the "
              "method that produced them; they are not disclosure-checked counts."),
        ]


def _reason(code: str) -> str:
    from vigil.server.national.views import REASONS

    return str(REASONS[code]) if code in REASONS else code


def _chart_png(result: IndicatorResult, title: str) -> bytes:
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(services.chart_spec(result, title), scale=2))


#: the largest estimates file read (an MSE result or a survey table is a few kB)
MAX_ESTIMATES_BYTES = 2_000_000


def read_estimates(paths: Sequence[Path]) -> list[Estimate]:
    """The estimates of JSON files written by ``vigil estimate mse|survey --format json``."""
    out: list[Estimate] = []
    for path in paths:
        try:
            if Path(path).stat().st_size > MAX_ESTIMATES_BYTES:
                raise InputError(f"larger than {MAX_ESTIMATES_BYTES} bytes", str(path))
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the estimates: {exc}", str(path)) from None
        out.extend(parse_estimates(text, Path(path).name))
    return out


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"not a number: {str(value)[:40]!r}", where)
    return float(value)


def _interval(ci: Any, where: str) -> tuple[float | None, float | None]:
    if ci is None:
        return None, None
    if not (isinstance(ci, list | tuple) and len(ci) == 2):
        raise InputError("an interval is a list of two numbers", where)
    return _number(ci[0], where), _number(ci[1], where)


def parse_estimates(text: str, name: str) -> list[Estimate]:
    """MSE results (a JSON object with ``estimate`` and ``ci_model``) and survey results (a list of
    objects with ``statistic``, ``variable``, ``value`` and ``ci``); ``name`` names the source in
    errors and in the report. Each estimate's ``kind`` is ``mse`` or ``survey``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"cannot read the estimates: {exc}", name) from None
    out: list[Estimate] = []
    if isinstance(data, dict) and "estimate" in data and "ci_model" in data:
        low, high = _interval(data.get("ci_bootstrap") or data["ci_model"], f"{name}: ci_model")
        lists = ", ".join(str(x) for x in data.get("lists", []))
        out.append(Estimate(
            name, f"MSE ({data.get('method', '')}; {lists})"[:300],
            _number(data["estimate"], f"{name}: estimate"), low, high,
            f"{data.get('n_observed', '')} observed"[:300], kind="mse",
        ))
    elif isinstance(data, list) and data and all(isinstance(d, dict) and "value" in d for d in data):
        for n, item in enumerate(data):
            where = f"{name}[{n}]"
            low, high = _interval(item.get("ci"), f"{where}: ci")
            domain = item.get("domain") or {}
            if not isinstance(domain, dict):
                raise InputError("domain is an object", f"{where}: domain")
            domain_text = ", ".join(f"{k}={v}" for k, v in domain.items())
            label = f"{item.get('statistic', '')} {item.get('variable', '')}".strip()
            out.append(Estimate(where, f"{label} {domain_text}".strip()[:300],
                                _number(item["value"], f"{where}: value"), low, high,
                                str(item.get("note", ""))[:300], kind="survey"))
    else:
        raise InputError("not the JSON of 'vigil estimate mse' or 'vigil estimate survey'", name)
    return out


def build(user: Any, year: str, *, lang: str = "en", estimates: Sequence[Estimate] = ()) -> Report:
    if not (len(year) == 4 and year.isdigit()):
        raise InputError(f"a year is four digits, found {year!r}", "--year")
    if lang not in LANGS:
        raise InputError(f"language must be one of {', '.join(LANGS)}", "--lang")
    if not user.can("national.view"):
        raise PermissionError("national.view")
    iset = services.indicator_set()
    k = services.min_k()
    prepared = services.prepared_for(user)
    from vigil.stats.indicators import compute

    series = {r.id: r for r in compute(iset, prepared, period="year", k=k)}
    results = compute(iset, prepared, period="year", k=k, periods=[year])
    names = indicator_i18n.titles(iset, lang)
    dims = indicator_i18n.dimension_titles(iset, lang)
    with translation.override(lang):
        sections = []
        for r in results:
            if r.hidden is not None:
                continue
            title = names.get(r.id, r.title)
            breakdowns = []
            for dim_id, table in r.tables.items():
                if dim_id == TOTAL:
                    continue
                reasons = {(s.row, s.col): s.reason for s in table.suppressed}
                line = table.values[0] if table.values else []
                labels = services.column_labels(dim_id, table.cols, lang)
                breakdowns.append(Breakdown(
                    dim_id, dims.get(dim_id, table.title), labels, list(line),
                    {label: _reason(reasons[(table.rows[0], col)])
                     for label, col in zip(labels, table.cols, strict=False)
                     if (table.rows[0], col) in reasons},
                ))
            total = r.tables[TOTAL].values[0][0] if r.tables[TOTAL].values else None
            hidden = sum(len(t.suppressed) for t in r.tables.values())
            sections.append(Section(r.id, title, r.kind, total, _chart_png(series[r.id], title),
                                    breakdowns, hidden))
        hidden_indicators = [(names.get(r.id, r.title), r.hidden) for r in results if r.hidden is not None]
        flow = services.flows_for(user, year=year)
        flow_png = b""
        if flow.published:
            import vl_convert as vlc

            flow_png = bytes(vlc.vegalite_to_png(services.flow_map_spec(flow), scale=2))
    stored = [e.as_report() for e in StoredEstimate.objects.filter(year=year).order_by("id")]
    return Report(year, lang, iset.title, iset.version, k, timezone.now(), sections, hidden_indicators,
                  flow, flow_png, stored + list(estimates))


def _fmt(value: int | float | None, kind: str = "count") -> str:
    if value is None:
        return "—"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text + (" %" if kind == "percent" else "")


# --- PDF -----------------------------------------------------------------------------------------


def _font_files() -> tuple[str, str] | None:
    for folder in FONT_DIRS:
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return str(regular), str(bold)
    return None


def to_pdf(report: Report) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(f"{report.set_title} {report.year}")
    fonts = _font_files()
    if fonts is not None:
        pdf.add_font("body", "", fonts[0])
        pdf.add_font("body", "B", fonts[1])
        family = "body"
        if report.lang == "ar":
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ar")
    elif report.lang == "ar":
        raise InputError("an Arabic PDF needs the DejaVu Sans font (Debian: fonts-dejavu-core)", "--lang")
    else:
        family = "helvetica"

    def text(s: str) -> str:
        return s if fonts is not None else s.encode("latin-1", "replace").decode("latin-1")

    align = "R" if report.lang == "ar" else "L"

    def para(s: str, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, height, text(s), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    with translation.override(report.lang):
        pdf.add_page()
        para(_("Annual report %(year)s") % {"year": report.year}, 18, "B", 9)
        para(f"{report.set_title} ({report.set_version})", 12, "", 6)
        para(_("Generated on %(date)s. Counts below %(k)s are hidden (—).")
             % {"date": report.generated.date().isoformat(), "k": report.k}, 9)
        para(_("n/a: not defined (a percentage or median with no records)."), 9)
        pdf.ln(3)
        para(_("Methods"), 13, "B", 7)
        for note in report.methods():
            para("• " + note, 9, "", 4.5)
        for section in report.sections:
            pdf.add_page()
            para(section.title, 13, "B", 6)
            value = _fmt(section.value, section.kind)
            para(_("Total %(year)s: %(value)s") % {"year": report.year, "value": value}, 10)
            pdf.image(io.BytesIO(section.chart_png), w=120)
            for b in section.breakdowns:
                pdf.ln(2)
                para(b.title, 10, "B")
                pdf.set_font(family, "", 8)
                sides = ("RIGHT", "RIGHT") if align == "R" else ("LEFT", "RIGHT")
                with pdf.table(col_widths=(3, 1), text_align=sides, first_row_as_headings=False) as table:
                    for label, value in zip(b.labels, b.values, strict=False):
                        row = table.row()
                        row.cell(text(str(label)))
                        row.cell(text(b.shown(value, label, section.kind)))
                if b.hidden:
                    cells = "; ".join(f"{k} ({v})" for k, v in b.hidden.items())
                    para(_("Hidden: %(cells)s.") % {"cells": cells}, 8, "", 4)
            if section.hidden_cells:
                para(_("Suppression: %(n)s cell(s) of this indicator hidden, counts below %(k)s and "
                       "the cells that would give them back.") % {"n": section.hidden_cells, "k": report.k},
                     8, "", 4)
        if report.hidden_indicators:
            pdf.add_page()
            para(_("Indicators not shown"), 13, "B", 7)
            for name, why in report.hidden_indicators:
                para(f"{name}: {why}", 9)
        pdf.add_page()
        para(_("Flows between countries"), 13, "B", 7)
        if report.flow_map_png:
            pdf.image(io.BytesIO(report.flow_map_png), w=180)
        pdf.set_font(family, "", 8)
        if report.flows.legs:
            with pdf.table(col_widths=(2, 2, 3), first_row_as_headings=True) as table:
                head = table.row()
                for h in (_("From"), _("To"), _("Persons")):
                    head.cell(text(h))
                for leg in report.flows.legs:
                    row = table.row()
                    row.cell(text(services.country_name(leg.origin, report.lang)))
                    within = leg.destination == leg.origin
                    row.cell(text(_("(within the country)") if within
                                  else services.country_name(leg.destination, report.lang)))
                    shown = _fmt(leg.persons) if leg.persons is not None else f"— ({_reason(leg.reason)})"
                    row.cell(text(shown))
        else:
            para(_("No records."), 9)
        if report.flows.suppressed:
            para(_("%(n)s leg(s) hidden: counts below %(k)s and the legs that would give them back; a "
                   "hidden leg may be zero.") % {"n": len(report.flows.suppressed), "k": report.k}, 8, "", 4)
        pdf.add_page()
        para(_("Estimates"), 13, "B", 7)
        if not report.estimates:
            para(_("No estimate is stored for this year (the Estimates page of the national picture) "
                   "nor given to the command (vigil national report --estimates FILE.json)."), 9)
        for est in report.estimates:
            interval = f"[{_fmt(est.low)}; {_fmt(est.high)}]"
            para(f"{est.label}: {_fmt(est.value)} {interval} {est.note} ({est.source})", 9)
    return bytes(pdf.output())


# --- XLSX ----------------------------------------------------------------------------------------


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image

    def cell(value: Any) -> Any:
        return formula_safe(value) if isinstance(value, str) else value

    wb = Workbook()
    with translation.override(report.lang):
        methods = wb.active
        assert methods is not None
        methods.title = "Methods"
        methods.append([cell(_("Annual report %(year)s") % {"year": report.year})])
        methods.append([cell(f"{report.set_title} ({report.set_version})")])
        methods.append([cell(_("Generated on %(date)s. Counts below %(k)s are hidden (—).")
                             % {"date": report.generated.date().isoformat(), "k": report.k})])
        for note in report.methods():
            methods.append([cell(note)])
        summary = wb.create_sheet("Indicators")
        summary.append(["id", cell(_("Indicator")), "kind", report.year, cell(_("Hidden cells"))])
        for s in report.sections:
            summary.append([s.id, cell(s.title), s.kind, s.value, s.hidden_cells])
        for name, why in report.hidden_indicators:
            summary.append(["", cell(name), "hidden", None, cell(why)])
        tables = wb.create_sheet("Tables")
        tables.append(["id", cell(_("Indicator")), "dimension", cell(_("Category")), report.year,
                       cell(_("Hidden because"))])
        for s in report.sections:
            for b in s.breakdowns:
                for label, value in zip(b.labels, b.values, strict=False):
                    tables.append([s.id, cell(s.title), cell(b.title), cell(str(label)), value,
                                   cell(b.why(label, value))])
        flow = wb.create_sheet("Flows")
        flow.append([cell(_("From")), cell(_("To")), cell(_("Persons")), cell(_("Hidden because")),
                     "from", "to"])
        for leg in report.flows.legs:
            why = _reason(leg.reason) if leg.reason else ""
            flow.append([cell(countries.name(leg.origin, report.lang)),
                         cell(countries.name(leg.destination, report.lang)), leg.persons, cell(why),
                         leg.origin, leg.destination])
        if report.flow_map_png:
            flow.add_image(Image(io.BytesIO(report.flow_map_png)), "F2")
        est = wb.create_sheet("Estimates")
        est.append([cell(_("Estimate")), "value", "low", "high", "note", "source"])
        for e in report.estimates:
            est.append([cell(e.label), e.value, e.low, e.high, cell(e.note), cell(e.source)])
        charts = wb.create_sheet("Charts")
        for n, s in enumerate(report.sections):
            charts.cell(row=1 + n * 22, column=1, value=cell(s.title))
            image = Image(io.BytesIO(s.chart_png))
            image.width, image.height = image.width // 2, image.height // 2
            charts.add_image(image, f"A{2 + n * 22}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render(report: Report, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise InputError(f"format must be one of {', '.join(FORMATS)}", "--format")
    return to_pdf(report) if fmt == "pdf" else to_xlsx(report)
