"""``vigil estimate mse``: multiple systems estimation from a capture-history table.

Examples (UK 2013 data, six agency lists)::

    vigil estimate mse UKdat.csv                          # SparseMSE stepwise, p < 0.02
    vigil estimate mse --bootstrap 1000 --seed 1 UKdat.csv   # plus the BCa interval
    vigil estimate mse --method bic --max-order 4 --format json UKdat_5.csv

FILE has one 0/1 column per list and a ``count`` column (``vigil link`` writes it). Every
problem (unreadable file, bad row, estimate that cannot exist) is a
:class:`~vigil.errors.VigilError`, which ``vigil.cli.main`` prints on one line (exit 2).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from vigil.cli.main import estimate_app
from vigil.errors import InputError
from vigil.stats.capture import read_capture_csv
from vigil.stats.mse import DEFAULT_PTHRESH, MSEResult, estimate, estimate_fixed

_FORMATS = ("table", "json")
_METHODS = ("stepwise", "main", "bic", "aic", "fixed")


@estimate_app.command("mse")
def mse(
    file: Path = typer.Argument(
        ..., help="Capture histories: one 0/1 column per list and a 'count' column.", show_default=False
    ),
    method: str = typer.Option(
        "stepwise",
        "--method",
        help="stepwise (SparseMSE), main (main effects only), bic or aic (search over "
        "hierarchical models), fixed (the model given by --terms).",
    ),
    terms: str = typer.Option(
        "", "--terms", help="For --method fixed: interactions, e.g. 'LA:NG,PF:NCA,LA:NG:PF'."
    ),
    threshold: float = typer.Option(
        DEFAULT_PTHRESH, "--threshold", help="Stepwise p-value threshold (0 = main effects only)."
    ),
    max_order: int | None = typer.Option(
        None, "--max-order", help="Highest interaction order for bic/aic (default by list count)."
    ),
    nboot: int = typer.Option(
        0,
        "--bootstrap",
        help="Bootstrap replicates for the BCa interval that allows for model selection (0 = none).",
    ),
    seed: int | None = typer.Option(None, "--seed", help="Random seed of the bootstrap."),
    level: float = typer.Option(0.95, "--level", help="Confidence level of the intervals."),
    top: int = typer.Option(
        10, "--top", help="Models shown in the bic/aic comparison (0 = every valid model)."
    ),
    output_format: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Estimate the total population, the people on no list included, with its intervals."""
    if output_format not in _FORMATS:
        raise InputError(f"must be table or json, found {output_format!r}", "--format")
    if method not in _METHODS:
        raise InputError(f"must be one of {', '.join(_METHODS)}, found {method!r}", "--method")
    if nboot < 0:
        raise InputError(f"must be zero or positive, found {nboot}", "--bootstrap")
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"must be between 0 and 1, found {threshold}", "--threshold")
    histories = read_capture_csv(file)
    if method == "fixed":
        if not terms.strip():
            raise InputError("give the model's interactions, e.g. --terms A:B,B:C", "--terms")
        if nboot:
            raise InputError("no bootstrap for a fixed model (nothing is selected)", "--bootstrap")
        result = estimate_fixed(histories, [t for t in terms.split(",") if t.strip()], level=level)
        _output(result, output_format)
        return
    result = estimate(
        histories,
        method=method,
        threshold=threshold,
        max_order=max_order,
        nboot=nboot,
        seed=seed,
        level=level,
        top=top,
    )
    _output(result, output_format)


def _output(result: MSEResult, output_format: str) -> None:
    if output_format == "json":
        print(json.dumps(result.to_dict(), indent=2))
        return
    for note in result.warnings:
        print(f"vigil: warning: {note}", file=sys.stderr)
    width = None if sys.stdout.isatty() else 120  # pipes and files: Rich would assume 80
    render(result, Console(highlight=False, soft_wrap=True, emoji=False, markup=False, width=width))


_CHECK_SHORT = {0: "ok", 1: "no MLE", 2: "unidentifiable", 3: "no MLE, unid."}


def _f2(value: float) -> str:
    return f"{value:.2f}" if math.isfinite(value) else "NA"


def _n(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "NA"


def render(result: MSEResult, console: Console) -> None:
    """Rich tables: the estimate with its intervals, then the model comparison (bic/aic)."""
    pct = f"{result.level:.0%}"
    summary = Table(title="Multiple systems estimation", show_header=False, title_justify="left")
    summary.add_column("what")
    summary.add_column("value", justify="right")
    summary.add_row("lists", ", ".join(result.lists))
    summary.add_row("observed (on at least one list)", _n(result.n_observed))
    summary.add_row("estimated total population", _n(result.estimate))
    summary.add_row("estimated not on any list", _n(result.dark_figure))
    summary.add_row(
        f"{pct} interval, model-conditional",
        f"{_n(result.ci_model[0])} – {_n(result.ci_model[1])}",
    )
    if result.ci_bootstrap is not None:
        summary.add_row(
            f"{pct} interval, bootstrap BCa",
            f"{_n(result.ci_bootstrap[0])} – {_n(result.ci_bootstrap[1])}",
        )
        over = result.settings.get("bootstrap_models")
        runs = f"{result.settings.get('nboot')} (seed {result.settings.get('seed')})"
        summary.add_row("bootstrap replicates", runs + (f", best {over} models" if over else ""))
    method = result.method
    if method == "stepwise":
        method += f" (p < {result.settings.get('pthresh')})"
    elif method in ("bic", "aic"):
        method += f" (max order {result.settings.get('max_order')})"
    elif method == "fixed":
        method += f" {result.settings.get('model')}"
    summary.add_row("method", method)
    summary.add_row("interactions", " ".join(result.terms) or "none (main effects only)")
    if result.empty_overlaps:
        summary.add_row("  of which no overlap (−∞)", " ".join(result.empty_overlaps))
    summary.add_row("AIC / BIC", f"{result.aic:.2f} / {result.bic:.2f}")
    console.print(summary)
    if result.steps:
        path = Table(title="Stepwise path (order of entry)", title_justify="left")
        path.add_column("interaction", no_wrap=True)
        path.add_column("people on both lists", justify="right")
        path.add_column("Poisson p-value", justify="right")
        for step in result.steps:
            p = step["p_value"]
            path.add_row(
                str(step["term"]),
                str(step["overlap"]),
                f"{p:.3g}" if isinstance(p, float) and math.isfinite(p) else "(full model)",
            )
        console.print(path)
    if result.models:
        crit = result.method.upper()
        table = Table(title=f"Models compared ({crit}, best first)", title_justify="left")
        # the check column appears in the full report (--top 0), which lists excluded models
        show_check = any(m.check for m in result.models)
        columns = [
            ("model", "left"),
            ("params", "right"),
            ("estimate", "right"),
            (f"{pct} interval", "right"),
            ("AIC", "right"),
            ("BIC", "right"),
        ]
        if show_check:
            columns.append(("check", "left"))
        for name, justify in columns:
            table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for m in result.models:
            cells = [
                m.model,
                str(m.n_params),
                _n(m.estimate),
                f"{_n(m.ci_model[0])} – {_n(m.ci_model[1])}" if m.check == 0 else "",
                _f2(m.aic),
                _f2(m.bic),
            ]
            if show_check:
                cells.append(_CHECK_SHORT[m.check])
            table.add_row(*cells)
        console.print(table)
        s = result.settings
        console.print(
            f"{s.get('models_considered')} hierarchical models considered, "
            f"{s.get('models_fitted')} fitted, {s.get('models_excluded_by_check')} failing the "
            f"existence/identifiability check, {s.get('models_skipped_by_bound')} skipped "
            "(cannot rank among those shown)."
        )
