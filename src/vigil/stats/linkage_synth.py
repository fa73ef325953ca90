"""Synthetic agency lists with a known truth, to measure record linkage.

A hidden population of ``people`` invented persons is drawn from a small, invented table of
names from several regions (no real person: every name is a common given or family name,
combined at random). Each person is captured by each of ``lists`` agencies with a
probability that differs by list and by person (heterogeneous catchability). Every capture
becomes a record with the noise real lists have: typing errors, other transliterations of
the same name (``Olena``/``Elena``/``Олена``), given and family names swapped, day and month
of birth swapped, an estimated year of birth, missing fields, and now and then the same
person entered twice in one list.

``generate`` returns the lists (rows of raw text, as read from files), the person behind each
row, and the true capture histories; ``SyntheticLists.write`` puts them in a folder with a
ready ``lists.yaml`` so that ``vigil link`` can be tried on them.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from vigil.errors import InputError
from vigil.stats.capture import CaptureHistories
from vigil.stats.linkage import LinkageResult, capture_histories_from_memberships
from vigil.stats.linkage_config import LinkageConfig, ListSpec

__all__ = ["NOISE_LEVELS", "Noise", "SyntheticLists", "generate"]


@dataclass(frozen=True)
class Noise:
    """Probabilities of each kind of error in a record (per record, or per field)."""

    typo: float = 0.06  # per name: one letter inserted, dropped, replaced or transposed
    transliteration: float = 0.15  # per name: another spelling of the same name
    name_order: float = 0.03  # given and family name swapped
    swap_day_month: float = 0.04
    dob_typo: float = 0.03  # one digit of the day wrong
    year_estimated: float = 0.04  # year of birth off by one (age estimated)
    missing: float = 0.08  # per optional field (date of birth, nationality, sex, place, date)
    missing_given_name: float = 0.02
    wrong_nationality: float = 0.01
    duplicate: float = 0.04  # the person entered twice in the same list
    first_given_only: float = 0.25  # of a person with two given names, only the first written


NOISE_LEVELS: dict[str, Noise] = {
    "none": Noise(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    "low": Noise(0.02, 0.05, 0.01, 0.02, 0.01, 0.01, 0.04, 0.01, 0.005, 0.02, 0.1),
    "moderate": Noise(),
    "high": Noise(0.15, 0.3, 0.06, 0.08, 0.06, 0.08, 0.18, 0.05, 0.03, 0.08, 0.5),
}

# --------------------------------------------------------------------------- name table
# An invented table: common given and family names by region, each with other spellings met
# in records (another transliteration, the name in its own script, without diacritics),
# separated by "/". Names are combined at random: no entry is a person.
_NAME_TABLE: dict[str, tuple[str, str, str, str]] = {
    "UKR": (
        "Ukraine",
        "Olena/Elena/Олена; Iryna/Irina/Ірина; Oksana/Oxana/Оксана; Nataliia/Natalia/Natalya; "
        "Yuliia/Yulia/Julia; Tetiana/Tatiana/Tetyana; Svitlana/Svetlana/Світлана; "
        "Halyna/Galina/Halina; Kateryna/Ekaterina; Liudmyla/Lyudmila/Ludmila",
        "Oleksandr/Aleksandr/Alexander/Олександр; Serhii/Sergei/Serhiy; Dmytro/Dmitri/Dmitriy; "
        "Andrii/Andrei/Andriy; Yevhen/Evgeny/Yevgeniy; Mykola/Nikolai/Микола; "
        "Volodymyr/Vladimir/Володимир; Vasyl/Vasily; Ihor/Igor/Ігор; Bohdan/Bogdan",
        "Kovalenko/Коваленко; Shevchenko/Ševčenko/Шевченко; Bondarenko/Бондаренко; "
        "Tkachenko/Tkatchenko; Melnyk/Melnik/Мельник; Kravchuk/Kravtchouk; Boiko/Boyko/Бойко; "
        "Moroz/Мороз; Lysenko/Лисенко; Marchenko/Марченко; Savchenko/Savtchenko; Rudenko; "
        "Pavlenko/Павленко; Hrytsenko/Gritsenko",
    ),
    "ROU": (
        "Romania",
        "Ioana/Joana; Andreea/Andrea; Mihaela/Michaela; Ștefania/Stefania; "
        "Alexandra/Aleksandra; Cristina/Kristina; Roxana; Florentina; Daniela",
        "Ionuț/Ionut; Mihai/Mihaj; Ștefan/Stefan; Gheorghe/Georghe; Alexandru/Aleksandru; "
        "Cristian/Kristian; Florin; Marian; Vasile/Vasilie",
        "Popescu/Popesku; Ionescu/Ionesco; Dumitru; Constantin; Stoica; Munteanu; "
        "Rădulescu/Radulescu; Matei; Ciobanu/Ciobano; Lungu; Moldovan; Șerban/Serban",
    ),
    "VNM": (
        "Viet Nam",
        "Lan; Hương/Huong; Thảo/Thao; Ngọc/Ngoc; Linh; Trang; Mai; Phương/Phuong; "
        "Hạnh/Hanh; Yến/Yen; Thúy/Thuy",
        "Minh; Tuấn/Tuan; Dũng/Dung; Đức/Duc; Hùng/Hung; Quang; Nam; Thắng/Thang; "
        "Khánh/Khanh; Phúc/Phuc; Long",
        "Nguyễn/Nguyen/Nguyan; Trần/Tran; Lê/Le; Phạm/Pham; Hoàng/Hoang; Vũ/Vu; Đặng/Dang; "
        "Bùi/Bui; Đỗ/Do; Hồ/Ho; Ngô/Ngo; Dương/Duong",
    ),
    "NGA": (
        "Nigeria",
        "Chiamaka; Ngozi; Blessing; Adaeze/Adaze; Oluwakemi/Kemi; Funmilayo/Funmi; Chioma; "
        "Amaka; Folake; Nneka; Yetunde",
        "Chukwuemeka/Emeka; Oluwaseun/Seun; Ibrahim/Ibraheem; Babatunde/Tunde; Chinedu; "
        "Uchenna; Obinna; Kelechi; Adewale/Wale; Ikenna; Olumide",
        "Okafor; Adeyemi/Adeyemy; Okonkwo; Balogun; Eze; Nwosu; Adebayo/Adebajo; Okeke; "
        "Ogunleye; Nwachukwu; Afolabi; Obi",
    ),
    "ERI": (
        "Eritrea",
        "Selam/Salam; Mariam/Maryam/Miriam; Helen/Hellen; Senait/Senayt; "
        "Fatima/Fatma/Fatimah; Meron/Miron; Saba; Hiwet/Hiwot; Lidia/Lydia",
        "Mohammed/Muhammad/Mohamed/Mohamad; Yonas/Jonas; Tesfay/Tesfaye; Dawit/Dawitt; "
        "Ahmed/Ahmad/Achmed; Filmon/Philemon; Biniam/Biniyam; Merhawi; Semere",
        "Haile/Hayle; Tesfamariam/Tesfa Mariam; Kidane; Gebremedhin/Gebre Medhin; "
        "Osman/Othman/Usman; Abraha/Abrha; Tekle/Tekleh; Ghebreyesus/Gebreyesus; "
        "Woldemichael/Wolde Michael; Yohannes/Johannes",
    ),
    "SYR": (
        "Syria",
        "Aisha/Aicha/Ayesha; Fatima/Fatma/Fatimah; Nour/Noor/Nur; Rania/Ranya; "
        "Layla/Leila/Laila; Hiba; Rasha; Amal; Zainab/Zaynab/Zeinab",
        "Mohammed/Muhammad/Mohamed/Mohamad; Yusuf/Youssef/Yousef; Hussein/Husein/Hussain; "
        "Khaled/Khalid/Halid; Omar/Umar; Ali; Bilal; Mahmoud/Mahmud/Mahmood; Tariq/Tarek/Tarik",
        "Al-Hassan/Alhassan/al Hasan; Haddad/Hadad; Khalil/Halil; Nasser/Nasir/Naser; "
        "Abdullah/Abdalla/Abdulla; Darwish/Derwish; Suleiman/Sulaiman/Souleiman; "
        "Ibrahim/Ebrahim; Hamdan; Saleh/Salih; Qasim/Kassem/Kasim",
    ),
    "CHN": (
        "China",
        "Xiaoling/Xiao Ling/Hsiao-ling; Mei; Yan/Yen; Lihua/Li Hua; Jing/Ching; "
        "Xiuying/Hsiu-ying; Fang; Na; Hui/Hwei",
        "Wei; Jun/Chun; Zhiwei/Chih-wei; Hao; Jian/Chien; Lei; Yong; Qiang/Chiang; Ming",
        "Zhang/Chang; Wang; Li/Lee; Liu/Lau; Chen/Chan; Zhou/Chou; Huang/Hwang; Yang; "
        "Zhao/Chao; Wu; Xu/Hsu; Sun",
    ),
    "PHL": (
        "Philippines",
        "Maricel/Marisel; Jocelyn/Joselyn; Rowena; Analyn/Annalyn; Cristina/Kristina; "
        "Marites/Maritess; Rosalie/Rosaly; Lorna; Gina",
        "José/Jose; Rodel; Jerome/Jerom; Ramil/Ramel; Arnel; Romeo; Noel; Ricardo/Rikardo; Edwin",
        "Santos; Reyes/Reies; Dela Cruz/Delacruz/de la Cruz; Bautista; García/Garcia; Mendoza; "
        "Ramos; Aquino; Villanueva/Villa Nueva; Castillo; Torres",
    ),
    "ALB": (
        "Albania",
        "Arjola; Elira; Drita; Valbona; Mirela; Blerta; Fatjona; Anila",
        "Arben; Ermal; Besnik; Gëzim/Gezim; Florian; Klodian; Dritan; Artan",
        "Hoxha/Hodja/Hoxa; Shehu/Sehu; Krasniqi/Krasniki; Gashi; Berisha; Leka; "
        "Dervishi/Dervisi; Kola; Marku; Çela/Cela; Rama",
    ),
    "IND": (
        "India",
        "Priya/Priyah; Lakshmi/Laxmi; Sunita; Kavita/Kavitha; Anjali; Pooja/Puja; Meena/Mina; "
        "Rekha",
        "Rajesh/Rajesch; Suresh/Sures; Arjun; Mohammed/Mohamed; Vijay/Vijai; Ramesh; Anil; "
        "Sanjay/Sanjai",
        "Kumar; Singh; Sharma/Sarma; Patel; Das; Reddy/Reddi; Yadav; Gupta; Nair; Khan; Mishra",
    ),
    "POL": (
        "Poland",
        "Agnieszka/Agnieshka; Małgorzata/Malgorzata; Katarzyna; Joanna; Magdalena; Ewa/Eva; "
        "Monika; Justyna",
        "Paweł/Pawel/Pavel; Krzysztof; Tomasz/Tomas; Piotr/Pyotr; Marcin; Grzegorz/Gregorz; "
        "Łukasz/Lukasz; Michał/Michal",
        "Kowalski; Wiśniewski/Wisniewski; Wójcik/Wojcik; Kamiński/Kaminski; Lewandowski; "
        "Zieliński/Zielinski; Woźniak/Wozniak; Szymański/Szymanski; Dąbrowski/Dabrowski; "
        "Kozłowski/Kozlowski; Mazur",
    ),
}

_Names = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Region:
    nationality: str
    country: str
    female: _Names
    male: _Names
    family: _Names


def _parse_names(text: str) -> _Names:
    return tuple(tuple(s.strip() for s in entry.split("/")) for entry in text.split(";"))


_REGIONS: tuple[_Region, ...] = tuple(
    _Region(code, country, _parse_names(female), _parse_names(male), _parse_names(family))
    for code, (country, female, male, family) in _NAME_TABLE.items()
)

# Invented towns of the (imaginary) destination country, where agencies identify people.
_TOWNS = (
    "Northmere", "Eastbridge", "Carrow Vale", "Hollinford", "Saltreach", "Westerby",
    "Fenwick Cross", "Ashcombe", "Redlow", "Brackenhurst", "Kilmarden", "Upper Tarn",
)  # fmt: skip

_DEFAULT_LIST_NAMES = (
    "police", "labour_inspectorate", "ngo", "hotline", "local_authority",
    "health", "border_agency", "embassy", "trade_union", "shelter",
)  # fmt: skip


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SyntheticLists:
    """Generated lists and their truth.

    ``rows[name]`` holds the records of list ``name`` as raw text keyed by canonical field
    (the form ``vigil.stats.linkage.link_records`` takes); ``people[name][i]`` is the hidden
    person behind ``rows[name][i]``. ``specs`` describe how each list is written (column
    names, date format, value codes) and ``config()`` builds a matching configuration.
    """

    list_names: tuple[str, ...]
    rows: Mapping[str, list[dict[str, str]]]
    people: Mapping[str, list[int]]
    truth: CaptureHistories
    n_people: int
    specs: Mapping[str, ListSpec] = field(default_factory=dict)

    @property
    def n_records(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def config(self, **overrides: Any) -> LinkageConfig:
        """A linkage configuration for these lists (in memory: no files)."""
        lists = tuple(replace(self.specs[name], columns=None, file=None)
                      for name in self.list_names)
        return replace(LinkageConfig(lists=lists, source="synthetic"), **overrides)

    def true_labels(self, result: LinkageResult) -> list[int]:
        """The hidden person of every record of ``result``, in its record order."""
        return [
            self.people[name][row - 1]
            for name, row in zip(result.record_lists, result.record_rows, strict=True)
        ]

    def write(self, folder: str | Path) -> Path:
        """Write one CSV per list, ``lists.yaml``, ``truth.csv`` (true capture histories) and
        ``truth_records.csv`` (list, row, person); returns the path of ``lists.yaml``."""
        out = Path(folder)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder ({type(exc).__name__})", str(out)) from None
        doc: dict[str, Any] = {
            "version": 1,
            "backend": "duckdb",
            "threshold": LinkageConfig.threshold,
            "lists": {},
        }
        for name in self.list_names:
            spec = self.specs[name]
            columns = dict(spec.columns) if spec.columns else {}
            fields = [f for f in _FIELD_ORDER if any(f in r for r in self.rows[name])]
            header = [columns.get(f, f) for f in fields]
            with (out / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(header)
                for row in self.rows[name]:
                    writer.writerow([row.get(f, "") for f in fields])
            entry: dict[str, Any] = {"file": f"{name}.csv"}
            if columns:
                entry["columns"] = {f: columns.get(f, f) for f in fields}
            if spec.date_formats:
                entry["date_format"] = spec.date_format("date_of_birth")
            if spec.values:
                entry["values"] = {k: dict(v) for k, v in spec.values.items()}
            doc["lists"][name] = entry
        config_path = out / "lists.yaml"
        header_text = (
            "# Synthetic agency lists written by `vigil link synth` (invented people).\n"
            "# Link them with: vigil link --config lists.yaml -o capture.csv\n"
        )
        config_path.write_text(
            header_text + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        self.truth.write_csv(out / "truth.csv")
        with (out / "truth_records.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["list", "row", "person"])
            for name in self.list_names:
                for i, person in enumerate(self.people[name], start=1):
                    writer.writerow([name, i, person])
        return config_path


_FIELD_ORDER = (
    "given_name", "family_name", "date_of_birth", "birth_year", "nationality", "sex",
    "place_of_identification", "date_of_identification",
)  # fmt: skip


# --------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class _Person:
    region: _Region
    sex: str
    given: tuple[str, ...]
    second_given: tuple[str, ...] | None  # a second given name (Ana Maria, Thi Lan...)
    family: tuple[str, ...]
    dob: date
    nationality: str
    town: str
    identified: date
    catchability: float


def _list_specs(names: Sequence[str]) -> dict[str, ListSpec]:
    """How each synthetic agency writes its list: the first uses its own column names, a
    day-first date format and country names; the fourth records only the year of birth."""
    specs: dict[str, ListSpec] = {}
    for i, name in enumerate(names):
        if i == 0:
            specs[name] = ListSpec(
                name=name,
                file=None,
                columns={
                    "given_name": "first_name", "family_name": "surname",
                    "date_of_birth": "dob", "nationality": "citizenship", "sex": "gender",
                    "place_of_identification": "station",
                    "date_of_identification": "date_recorded",
                },
                date_formats={"date_of_birth": "%d/%m/%Y", "date_of_identification": "%d/%m/%Y"},
                values={"nationality": {r.country: r.nationality for r in _REGIONS}},
            )  # fmt: skip
        else:
            specs[name] = ListSpec(name=name, file=None)
    return specs


def generate(
    people: int,
    lists: int | Sequence[str] = 4,
    *,
    seed: int = 1,
    noise: Noise | str = "moderate",
    capture: tuple[float, float] = (0.15, 0.45),
    heterogeneity: float = 0.7,
) -> SyntheticLists:
    """Draw a hidden population and the agency lists that saw part of it.

    ``lists`` is a number of lists (named police, labour_inspectorate, ngo, hotline...) or
    the names. List ``j`` catches a person with probability ``1 - (1 - p_j) ** c``, where
    ``p_j`` is drawn uniformly in ``capture`` and the person's catchability ``c`` is
    log-normal with standard deviation ``heterogeneity`` (0: all people alike).
    """
    if isinstance(lists, int):
        if not 2 <= lists <= len(_DEFAULT_LIST_NAMES):
            raise InputError(f"the number of lists must be from 2 to {len(_DEFAULT_LIST_NAMES)}",
                             "lists")
        names = _DEFAULT_LIST_NAMES[:lists]
    else:
        names = tuple(lists)
        if len(names) < 2 or len(set(names)) != len(names):
            raise InputError("give at least two distinct list names", "lists")
    if people < 1:
        raise InputError("the number of people must be at least 1", "people")
    if isinstance(noise, str):
        if noise not in NOISE_LEVELS:
            raise InputError(f"unknown noise level (one of: {', '.join(NOISE_LEVELS)})", "noise")
        noise = NOISE_LEVELS[noise]
    lo, hi = capture
    if not 0 < lo <= hi < 1:
        raise InputError("capture probabilities must satisfy 0 < low <= high < 1", "capture")
    rng = random.Random(seed)
    specs = _list_specs(names)
    probs = [rng.uniform(lo, hi) for _ in names]
    lags = [rng.randint(0, 90) for _ in names]
    population = [_person(rng, heterogeneity) for _ in range(people)]

    rows: dict[str, list[dict[str, str]]] = {n: [] for n in names}
    persons: dict[str, list[int]] = {n: [] for n in names}
    on_lists: list[frozenset[str]] = []
    for pid, person in enumerate(population):
        seen: set[str] = set()
        for j, name in enumerate(names):
            p = 1 - (1 - probs[j]) ** person.catchability
            if rng.random() >= p:
                continue
            seen.add(name)
            copies = 2 if rng.random() < noise.duplicate else 1
            for _ in range(copies):
                rows[name].append(_record(rng, person, specs[name], j, lags[j], noise))
                persons[name].append(pid)
        on_lists.append(frozenset(seen))
    # Shuffle each list so that duplicates and list order carry no signal.
    for name in names:
        order = list(range(len(rows[name])))
        rng.shuffle(order)
        rows[name] = [rows[name][i] for i in order]
        persons[name] = [persons[name][i] for i in order]
    truth = capture_histories_from_memberships(names, on_lists)
    return SyntheticLists(
        list_names=names, rows=rows, people=persons, truth=truth, n_people=people, specs=specs
    )


def _person(rng: random.Random, heterogeneity: float) -> _Person:
    region = rng.choice(_REGIONS)
    sex = "F" if rng.random() < 0.55 else "M"
    pool = region.female if sex == "F" else region.male
    given = rng.choice(pool)
    second = rng.choice([g for g in pool if g != given]) if rng.random() < 0.3 else None
    family = rng.choice(region.family)
    identified = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
    age_days = rng.randint(15 * 365, 55 * 365)
    catchability = math.exp(rng.gauss(0.0, heterogeneity) - heterogeneity**2 / 2)
    return _Person(
        region=region,
        sex=sex,
        given=given,
        second_given=second,
        family=family,
        dob=identified - timedelta(days=age_days),
        nationality=region.nationality,
        town=rng.choice(_TOWNS),
        identified=identified,
        catchability=catchability,
    )


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))  # keep the first letter: agencies rarely miss it
    kind = rng.randrange(4)
    if kind == 0:
        return text[:i] + rng.choice(_LETTERS) + text[i:]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + rng.choice(_LETTERS) + text[i + 1 :]
    if i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i:].upper()


def _spelling(rng: random.Random, forms: tuple[str, ...], noise: Noise) -> str:
    name = forms[0]
    if len(forms) > 1 and rng.random() < noise.transliteration:
        name = rng.choice(forms[1:])
    if rng.random() < noise.typo:
        name = _typo(rng, name)
    case = rng.random()
    if case < 0.1:
        name = name.upper()
    elif case < 0.15:
        name = name.lower()
    return name


def _record(
    rng: random.Random, person: _Person, spec: ListSpec, index: int, lag: int, noise: Noise
) -> dict[str, str]:
    given = "" if rng.random() < noise.missing_given_name else _spelling(rng, person.given, noise)
    if given and person.second_given and rng.random() >= noise.first_given_only:
        given = f"{given} {_spelling(rng, person.second_given, noise)}"
    family = _spelling(rng, person.family, noise)
    if rng.random() < noise.name_order:
        given, family = family, given
    dob = person.dob
    if rng.random() < noise.year_estimated:
        dob = dob.replace(year=dob.year + rng.choice((-1, 1)), day=min(dob.day, 28))
    dob_text = dob.strftime(spec.date_format("date_of_birth"))
    if rng.random() < noise.swap_day_month and dob.day <= 12 and dob.day != dob.month:
        dob_text = dob.replace(day=dob.month, month=dob.day).strftime(
            spec.date_format("date_of_birth")
        )
    elif rng.random() < noise.dob_typo:
        wrong_day = min(28, max(1, dob.day + rng.choice((-10, -1, 1, 10))))
        dob_text = dob.replace(day=wrong_day).strftime(spec.date_format("date_of_birth"))
    nationality = person.nationality
    if rng.random() < noise.wrong_nationality:
        nationality = rng.choice(_REGIONS).nationality
    if spec.values.get("nationality"):
        by_code = {code: text for text, code in spec.values["nationality"].items()}
        nationality = by_code.get(nationality, nationality)
    sex = person.sex
    if index == 0:
        sex = {"F": "female", "M": "male"}[sex]
    town = person.town if rng.random() < 0.75 else rng.choice(_TOWNS)
    identified = person.identified + timedelta(days=lag + rng.randint(-20, 20))
    record = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob_text,
        "nationality": nationality,
        "sex": sex,
        "place_of_identification": town,
        "date_of_identification": identified.strftime(spec.date_format("date_of_identification")),
    }
    if index == 3:  # this agency records an approximate year of birth only
        del record["date_of_birth"]
        record["birth_year"] = str(dob.year)
    for key in ("date_of_birth", "birth_year", "nationality", "sex", "place_of_identification",
                "date_of_identification"):
        if key in record and rng.random() < noise.missing:
            record[key] = ""
    return record


def read_truth_records(path: str | Path) -> dict[tuple[str, int], str]:
    """Read ``truth_records.csv`` (columns ``list``, ``row``, ``person``) written by
    ``SyntheticLists.write``: the hidden person behind each row of each list."""
    place = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", place) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({type(exc).__name__})", place) from None
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not {"list", "row", "person"} <= set(reader.fieldnames):
        raise InputError("the header must have the columns list, row and person", place)
    out: dict[tuple[str, int], str] = {}
    for i, rec in enumerate(reader, start=1):
        row = (rec.get("row") or "").strip()
        if not row.isdigit():
            raise InputError("not a row number", f"{place}, row {i}, column row")
        out[(rec["list"], int(row))] = rec["person"]
    return out
