"""Import fuzzing (issue 14): generated and mutated inputs into every CLI command that reads a
file. The contract: exit 0 (the input was acceptable) or exit 2 with one line on stderr,
``vigil: ...``, naming the file; never a traceback or the last-guard "unexpected error", and no
output file written when the input is refused.

Each command starts from a valid seed file and hypothesis mutates it (truncation, byte flips,
insertions, a BOM, ``;`` separators, UTF-16 and Latin-1 re-encodings, huge fields, formula
injection, deep nesting, binary garbage; for XLSX also corrupt zips and a zip bomb). The number
of examples is bounded by the hypothesis profile: ``ci`` (the default, well under a minute) or
``long`` (``make fuzz``, ``VIGIL_FUZZ_PROFILE=long``).
"""

from __future__ import annotations

import importlib
import io
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

cli = importlib.import_module("vigil.cli.main")

settings.register_profile(
    "ci", max_examples=int(os.environ.get("VIGIL_FUZZ_EXAMPLES", "12")), deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile(
    "long", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
PROFILE = os.environ.get("VIGIL_FUZZ_PROFILE", "ci")
HUGE = [10_000, 200_000] + ([2_000_000] if PROFILE == "long" else [])  # sizes of a huge field

ADULT = "ilo-ec-2009-adult-labour"
FORMULAS = [b"=cmd|' /C calc'!A0", b"+SUM(1+1)*cmd|' /C calc'!A0", b"-2+3+cmd|'/C calc'!A0",
            b"@SUM(1+1)", b"=HYPERLINK(\"http://x\",\"y\")"]


# --- mutations ---------------------------------------------------------------------------
def _mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    n = len(seed)
    pos = st.integers(0, max(n - 1, 0))

    def flip(p: int, b: int) -> bytes:
        return seed[:p] + bytes([b]) + seed[p + 1:] if n else bytes([b])

    def insert(p: int, chunk: bytes) -> bytes:
        return seed[:p] + chunk + seed[p:]

    def reencode(enc: str) -> bytes:
        return seed.decode("utf-8", "replace").encode(enc, "replace")

    return st.one_of(
        pos.map(lambda p: seed[:p]),                                        # truncated
        st.tuples(pos, st.integers(0, 255)).map(lambda t: flip(*t)),          # a byte changed
        st.tuples(pos, st.binary(min_size=1, max_size=40)).map(lambda t: insert(*t)),
        st.just(b"\xef\xbb\xbf" + seed),                                     # BOM
        st.just(b"\xef\xbb\xbf\xef\xbb\xbf" + seed),                         # two BOMs
        st.just(seed.replace(b",", b";")),                                   # ; separators
        st.just(seed.replace(b"\n", b"\r")),                                 # old Mac line ends
        st.sampled_from(["utf-16", "utf-16-le", "latin-1", "cp1252", "utf-32"]).map(reencode),
        st.tuples(pos, st.sampled_from(HUGE)).map(
            lambda t: insert(t[0], b"x" * t[1])),                            # huge field
        st.tuples(pos, st.sampled_from(FORMULAS)).map(lambda t: insert(*t)),  # formula injection
        st.sampled_from(FORMULAS).map(lambda f: seed.replace(b"a", f, 1)),
        st.sampled_from([b"[" * 100_000, b"{\"a\":" * 50_000, b"- " * 1000 + b"x",
                         b"&a [*a, *a]\n", b"!!python/object/apply:os.system ['true']\n",
                         b"a: &x [1]\nb: *x\n" + b"c: [*x, *x, *x]\n" * 5]).map(lambda j: j + b"\n"),
        st.binary(max_size=300),                                             # garbage
        st.just(seed * 2),                                                   # repeated header
    )


def _zip_bytes(entries: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compress) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def _xlsx_mutations(seed: bytes) -> st.SearchStrategy[bytes]:
    """Corrupt zips and a zip bomb, besides the byte-level mutations."""
    with zipfile.ZipFile(io.BytesIO(seed)) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    sheet = next(k for k in parts if k.startswith("xl/worksheets/"))
    bomb = dict(parts)
    bomb[sheet] = parts[sheet].replace(b"</sheetData>", b"<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>"
                                       + b"A" * 50_000_000 + b"</t></is></c></row></sheetData>")
    dropped = st.sampled_from(sorted(parts)).map(
        lambda k: _zip_bytes({n: d for n, d in parts.items() if n != k}))
    garbled = st.tuples(st.sampled_from(sorted(parts)), st.binary(max_size=200)).map(
        lambda t: _zip_bytes({**parts, t[0]: t[1]}))
    return st.one_of(_mutations(seed), dropped, garbled, st.just(_zip_bytes(bomb)),
                     st.just(_zip_bytes({"x.txt": b"not a workbook"})), st.just(b"PK\x03\x04" + seed[4:200]))


# --- the commands ------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    name: str
    file: str                          # the fuzzed file's name
    seed: Callable[[Path], bytes]      # the valid seed content (may write helper files)
    args: Callable[[Path, Path, Path], list[str]]   # (dir, fuzzed file, output file) -> argv
    writes: bool = True                # the command takes -o


def _xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _text(s: str) -> Callable[[Path], bytes]:
    return lambda d: s.encode("utf-8")


def _survey_seed(d: Path) -> bytes:
    (d / "design.yaml").write_text("ids: [psu]\nweights: wt\n", "utf-8")
    (d / "map.yaml").write_text("ruleset: ilo-2012-forced-labour\nindicators: {UR05: q}\n", "utf-8")
    data = b"psu,wt,q\n1,10,1\n2,10,0\n3,12,1\n"
    (d / "svy.csv").write_bytes(data)
    return data


def _link_seed(d: Path) -> bytes:
    (d / "b.csv").write_text("given_name,family_name,dob\nAna,Petrova,1990-03-02\n", "utf-8")
    (d / "lists.yaml").write_text("version: 1\nlists:\n  a: {file: a.csv}\n  b: {file: b.csv}\n", "utf-8")
    return b"given_name,family_name,dob\nAna,Petrova,1990-03-02\nJo,Santos,2001-07-14\n"


def _link_config_seed(d: Path) -> bytes:
    _link_seed(d)
    (d / "a.csv").write_text("given_name,family_name,dob\nAna,Petrova,1990-03-02\n", "utf-8")
    return (d / "lists.yaml").read_bytes()


def _form_xlsx(d: Path) -> Path:
    form = d / "form.xlsx"
    if not form.exists():
        try:
            cli.main(["forms", "export", "--ruleset", ADULT, "-o", str(form)])
        except SystemExit as exc:  # pragma: no cover - a broken export is its own failure
            assert not exc.code, exc
    return form


def _submissions_seed(d: Path) -> bytes:
    from vigil.rules.loader import load_ruleset

    _form_xlsx(d)
    from tests.forms import synth

    rs = load_ruleset(ADULT)
    synth.kobo_csv(synth.answers(rs, 3, 1), rs, d / "seed.csv")
    return (d / "seed.csv").read_bytes()


def _form_seed(d: Path) -> bytes:
    _submissions_seed(d)
    (d / "subs.csv").write_bytes((d / "seed.csv").read_bytes())
    return (d / "form.xlsx").read_bytes()


def _ruleset_seed(d: Path) -> bytes:
    from vigil.rules.loader import sets_dir

    return (sets_dir() / f"{ADULT}.yaml").read_bytes()


TARGETS = [
    Target("assess-jsonl", "in.jsonl",
           _text('{"id": "a", "age": 30, "DR01": "yes"}\n{"id": "b", "age": 17}\n'),
           lambda d, f, o: ["assess", "--ruleset", ADULT, "-o", str(o), str(f)]),
    Target("assess-csv", "in.csv", _text("id,age,DR01\na,30,yes\nb,17,no\n"),
           lambda d, f, o: ["assess", "--ruleset", ADULT, "-o", str(o), str(f)]),
    Target("triage-csv", "in.csv", _text("id,age,DR01\na,30,yes\nb,17,no\n"),
           lambda d, f, o: ["triage", "-o", str(o), str(f)]),
    Target("mse", "lists.csv",
           _text("A,B,C,count\n1,0,0,30\n0,1,0,40\n0,0,1,20\n1,1,0,5\n1,0,1,4\n0,1,1,6\n"),
           lambda d, f, o: ["estimate", "mse", str(f)], writes=False),
    Target("survey", "svy.csv", _survey_seed,
           lambda d, f, o: ["estimate", "survey", "--design", str(d / "design.yaml"), "--mean", "q", str(f)],
           writes=False),
    Target("survey-design", "design.yaml", lambda d: (_survey_seed(d), (d / "design.yaml").read_bytes())[1],
           lambda d, f, o: ["estimate", "survey", "--design", str(f), "--mean", "q", str(d / "svy.csv")],
           writes=False),
    Target("prevalence-mapping", "map.yaml", lambda d: (_survey_seed(d), (d / "map.yaml").read_bytes())[1],
           lambda d, f, o: ["estimate", "prevalence", "--design", str(d / "design.yaml"), "--mapping", str(f),
                            str(d / "svy.csv")], writes=False),
    Target("link-list", "a.csv", _link_seed,
           lambda d, f, o: ["link", "--config", str(d / "lists.yaml"), "-o", str(o)]),
    Target("link-config", "lists.yaml", _link_config_seed,
           lambda d, f, o: ["link", "--config", str(f), "-o", str(o)]),
    Target("rules-show", "rules.yaml", _ruleset_seed,
           lambda d, f, o: ["rules", "show", str(f)], writes=False),
    Target("forms-import-csv", "subs.csv", _submissions_seed,
           lambda d, f, o: ["forms", "import", "--form", str(d / "form.xlsx"), "-o", str(o), str(f)]),
    Target("forms-import-json", "subs.json", _text('[{"_uuid": "u1", "consent": "yes"}]'),
           lambda d, f, o: ["forms", "import", "--form", str(_form_xlsx(d)), "-o", str(o), str(f)]),
    Target("forms-import-form", "form.xlsx", _form_seed,
           lambda d, f, o: ["forms", "import", "--form", str(f), "-o", str(o), str(d / "subs.csv")]),
    Target("forms-export-ruleset", "rules.yaml", _ruleset_seed,
           lambda d, f, o: ["forms", "export", "--ruleset", str(f), "-o", str(o.with_suffix(".xlsx"))]),
    Target("recruiters-check-offer", "offers.jsonl",
           _text('{"id": "o1", "text": "Cleaner wanted, pay the agency a fee, we keep your passport"}\n'),
           lambda d, f, o: ["recruiters", "check-offer", "--format", "jsonl", str(f)], writes=False),
    Target("recruiters-match", "names.csv", lambda d: (
        (d / "reg.csv").write_text("id,name,country\nr1,Acme Recruit,NP\n", "utf-8"),
        b"id,name,country\na,ACME Recruitment,NP\n")[1],
           lambda d, f, o: ["recruiters", "match", "--registry", str(d / "reg.csv"), "-o", str(o), str(f)]),
    Target("recruiters-risk", "agencies.csv", _text("id,name,country\na,Acme,NP\n"),
           lambda d, f, o: ["recruiters", "risk", "--format", "jsonl", str(f)], writes=False),
    Target("recruiters-fees", "pay.csv",
           _text("id,amount,currency,purpose,payee,channel\np1,100,USD,visa,recruiter,upfront\n"),
           lambda d, f, o: ["recruiters", "fees", str(f)], writes=False),
    Target("inspections-plan", "register.csv",
           _text("id,name,sector,region,open_complaints,last_visit\nw1,Farm,0111,north,2,2025-01-02\n"),
           lambda d, f, o: ["inspections", "plan", "--format", "jsonl", str(f)], writes=False),
    Target("inspections-plan-findings", "findings.csv", lambda d: (
        (d / "register.csv").write_text("id,name,sector\nw1,Farm,A\n", "utf-8"),
        b"workplace,kind,found_on\nw1,indicator,2025-03-04\n")[1],
           lambda d, f, o: ["inspections", "plan", "--findings", str(f), str(d / "register.csv")],
           writes=False),
    Target("inspections-import", "register.xlsx", lambda d: _xlsx_bytes(
        [["name", "sector", "region"], ["Farm", "0111", "north"]]),
           lambda d, f, o: ["inspections", "import", "--dry-run", str(f)], writes=False),
]


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        cli.main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 2
    out, err = capsys.readouterr()
    return code, out, err


def check_contract(target: Target, d: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    fuzzed = d / target.file
    fuzzed.write_bytes(content)
    out_file = d / "out" / "result.csv"
    for stale in (out_file, out_file.with_suffix(".xlsx")):
        stale.unlink(missing_ok=True)
    code, out, err = _run(target.args(d, fuzzed, out_file), capsys)
    assert "Traceback" not in err, err
    assert "unexpected error" not in err, (target.name, content[:200], err)
    assert code in (0, 2), (code, err)
    if code == 2:
        lines = [ln for ln in err.splitlines() if not ln.startswith("vigil: warning:")]
        assert len(lines) == 1 and lines[0].startswith("vigil: "), err
        assert len(lines[0]) < 600, lines[0]
        assert out == "", out[:200]
        if target.writes:
            assert not out_file.exists() and not out_file.with_suffix(".xlsx").exists()


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_seed_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str], target: Target) -> None:
    """The seed itself is valid: the fuzzing starts from an input the command accepts."""
    content = target.seed(tmp_path)
    (tmp_path / target.file).write_bytes(content)
    code, _, err = _run(target.args(tmp_path, tmp_path / target.file, tmp_path / "out.csv"), capsys)
    assert code == 0, err


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_mutated_inputs_keep_the_contract(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str], target: Target
) -> None:
    d = tmp_path_factory.mktemp(target.name)
    seed = target.seed(d)
    strategy = _xlsx_mutations(seed) if target.file.endswith(".xlsx") else _mutations(seed)

    @settings(settings.get_profile(PROFILE))
    @given(strategy)
    def fuzz(content: bytes) -> None:
        target.seed(d)  # restore the helper files a previous example may have overwritten
        check_contract(target, d, content, capsys)

    fuzz()


# --- regressions of what the fuzzing found -------------------------------------------------
def test_yaml_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by the fuzzing: PyYAML's message has a second line ('in "<unicode string>"')."""
    rules = tmp_path / "rules.yaml"
    rules.write_bytes(b"\x00id: x\n")
    code, out, err = _run(["rules", "show", str(rules)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("vigil: rules.yaml: invalid YAML"), err
    assert "position 0" in err  # the second line is kept, joined


def test_message_quoting_a_huge_header_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by the fuzzing: a 100,000-character header was echoed whole in the message."""
    (tmp_path / "design.yaml").write_text("ids: [psu]\nweights: wt\n", "utf-8")
    src = tmp_path / "svy.csv"
    src.write_bytes(b"[" * 100_000 + b",wt,q\n1,10,1\n")
    code, out, err = _run(["estimate", "survey", "--design", str(tmp_path / "design.yaml"), "--mean", "q",
                           str(src)], capsys)
    assert code == 2 and out == ""
    line = err.rstrip("\n")
    assert "\n" not in line and len(line) <= len("vigil: ") + 500, len(line)
    assert "design.yaml" in line and line.endswith(" …")


def test_one_line() -> None:
    one_line = cli.one_line
    assert one_line("a\n  in b\n\n") == "a in b"
    assert one_line("x" * 10, limit=6) == "xxxx …"
    assert one_line("short") == "short"
