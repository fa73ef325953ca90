"""``vigil link``: link agency lists into capture histories; ``vigil link synth``: try it.

    vigil link --config lists.yaml [-o OUT.csv] [--threshold P] [LIST...]
    vigil link synth --people 500 --lists 4 --seed 1 --out DIR

The capture-history table (one 0/1 column per list, then ``count``) goes to stdout or to
``-o``; a summary without any identifying value goes to stderr.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from vigil.cli.main import app
from vigil.errors import InputError
from vigil.stats.linkage import (
    apply_list_arguments,
    capture_histories_csv,
    evaluate_linkage,
    link_lists,
    load_config,
)
from vigil.stats.linkage_synth import NOISE_LEVELS, generate, read_truth_records


class _LinkGroup(TyperGroup):
    """``vigil link ARGS`` runs the ``run`` command unless ARGS start with a sub-command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


link_app = typer.Typer(
    cls=_LinkGroup,
    help=(
        "Link agency lists of identified victims (no shared ID) into capture histories for "
        "multiple systems estimation. `vigil link --config lists.yaml [LIST...]` links; "
        "`vigil link synth` writes synthetic lists with a known truth to try it."
    ),
    no_args_is_help=True,
)
app.add_typer(link_app, name="link")


def _echo_err(text: str) -> None:
    print(text, file=sys.stderr)


@link_app.command("run")
def link_run(
    lists: Annotated[
        list[str] | None,
        typer.Argument(
            help=(
                "Lists to link: NAME=PATH.csv (list NAME of the configuration, read from "
                "PATH.csv) or a file named in the configuration. Default: every list."
            ),
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path,
        typer.Option("--config", "-c", help="The lists.yaml configuration (see docs/linkage.md)."),
    ] = Path("lists.yaml"),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the capture histories here (default stdout)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Match probability at or above which two records are linked "
            "(overrides the configuration).",
        ),
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            help="truth_records.csv (list,row,person) of synthetic lists: report the "
            "pairwise and cluster precision, recall and F1.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Show Splink's progress log.")] = False,
) -> None:
    """Link the lists and write the capture-history table (CSV)."""
    cfg = apply_list_arguments(load_config(config), lists or [])
    result = link_lists(cfg, threshold=threshold, verbose=verbose)
    text = capture_histories_csv(result.capture_histories)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the output ({type(exc).__name__})", str(output)) from None
    _echo_err(result.summary())
    if truth is not None:
        people = read_truth_records(truth)
        labels: list[Any] = []
        for name, row in zip(result.record_lists, result.record_rows, strict=True):
            if (name, row) not in people:
                raise InputError(f"no person for list {name}, row {row}", str(truth))
            labels.append(people[(name, row)])
        _echo_err("quality against the truth: " + evaluate_linkage(result.record_clusters, labels).summary())


@link_app.command("synth")
def link_synth(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the lists into.")],
    people: Annotated[int, typer.Option("--people", help="Size of the hidden population.")] = 500,
    n_lists: Annotated[int, typer.Option("--lists", help="Number of agency lists (2 to 10).")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 1,
    noise: Annotated[
        str,
        typer.Option("--noise", help=f"Amount of noise: {', '.join(NOISE_LEVELS)}."),
    ] = "moderate",
) -> None:
    """Write synthetic agency lists with a known truth, and a lists.yaml to link them."""
    data = generate(people, n_lists, seed=seed, noise=noise)
    config_path = data.write(out)
    _echo_err(
        f"wrote {data.n_records} records of {data.truth.n_observed} observed people "
        f"(hidden population {data.n_people}) in {len(data.list_names)} lists to {out}\n"
        f"true capture histories: {out / 'truth.csv'}; person behind each row: "
        f"{out / 'truth_records.csv'}\n"
        f"link them: vigil link --config {config_path} "
        f"--truth {out / 'truth_records.csv'}"
    )
