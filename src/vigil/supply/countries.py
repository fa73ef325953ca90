"""Country names to ISO 3166-1 alpha-3: the names the TVPRA list uses, common English names and
the codes themselves (alpha-2 and alpha-3) of the countries it lists."""

from __future__ import annotations

import unicodedata

from vigil.errors import InputError

# ILAB's spelling (and usual variants) -> alpha-3; every country of the 2022 TVPRA list is here
_NAMES: dict[str, str] = {
    "afghanistan": "AFG", "angola": "AGO", "argentina": "ARG", "azerbaijan": "AZE",
    "bangladesh": "BGD", "belize": "BLZ", "benin": "BEN", "bolivia": "BOL", "brazil": "BRA",
    "burkina faso": "BFA", "burma": "MMR", "myanmar": "MMR", "cambodia": "KHM",
    "cameroon": "CMR", "central african republic": "CAF", "chad": "TCD", "china": "CHN",
    "colombia": "COL", "congo, democratic republic of the": "COD",
    "democratic republic of the congo": "COD", "dr congo": "COD", "drc": "COD",
    "costa rica": "CRI", "cote d'ivoire": "CIV", "ivory coast": "CIV",
    "dominican republic": "DOM", "ecuador": "ECU", "egypt": "EGY", "el salvador": "SLV",
    "eswatini": "SWZ", "swaziland": "SWZ", "ethiopia": "ETH", "ghana": "GHA",
    "guatemala": "GTM", "guinea": "GIN", "honduras": "HND", "india": "IND",
    "indonesia": "IDN", "iran": "IRN", "kazakhstan": "KAZ", "kenya": "KEN",
    "kyrgyz republic": "KGZ", "kyrgyzstan": "KGZ", "lebanon": "LBN", "lesotho": "LSO",
    "liberia": "LBR", "madagascar": "MDG", "malawi": "MWI", "malaysia": "MYS", "mali": "MLI",
    "mauritania": "MRT", "mexico": "MEX", "mongolia": "MNG", "mozambique": "MOZ",
    "nepal": "NPL", "nicaragua": "NIC", "niger": "NER", "nigeria": "NGA",
    "north korea": "PRK", "korea, democratic people's republic of": "PRK", "pakistan": "PAK",
    "panama": "PAN", "paraguay": "PRY", "peru": "PER", "philippines": "PHL",
    "russia": "RUS", "russian federation": "RUS", "rwanda": "RWA", "senegal": "SEN",
    "sierra leone": "SLE", "south sudan": "SSD", "sudan": "SDN", "suriname": "SUR",
    "taiwan": "TWN", "tajikistan": "TJK", "tanzania": "TZA", "thailand": "THA",
    "turkey (turkiye)": "TUR", "turkey": "TUR", "turkiye": "TUR", "turkmenistan": "TKM",
    "uganda": "UGA", "ukraine": "UKR", "uzbekistan": "UZB", "venezuela": "VEN",
    "vietnam": "VNM", "viet nam": "VNM", "yemen": "YEM", "zambia": "ZMB", "zimbabwe": "ZWE",
    # frequent buyer and supplier countries outside the list
    "united states": "USA", "united states of america": "USA", "usa": "USA",
    "united kingdom": "GBR", "uk": "GBR", "france": "FRA", "germany": "DEU", "italy": "ITA",
    "spain": "ESP", "portugal": "PRT", "netherlands": "NLD", "belgium": "BEL",
    "switzerland": "CHE", "sweden": "SWE", "poland": "POL", "romania": "ROU", "japan": "JPN",
    "south korea": "KOR", "korea, republic of": "KOR", "canada": "CAN", "australia": "AUS",
    "sri lanka": "LKA", "morocco": "MAR", "tunisia": "TUN", "jordan": "JOR",
    "united arab emirates": "ARE", "qatar": "QAT", "saudi arabia": "SAU", "singapore": "SGP",
    "hong kong": "HKG", "south africa": "ZAF", "chile": "CHL", "laos": "LAO",
}
_ALPHA2: dict[str, str] = {
    "AF": "AFG", "AO": "AGO", "AR": "ARG", "AZ": "AZE", "BD": "BGD", "BZ": "BLZ", "BJ": "BEN",
    "BO": "BOL", "BR": "BRA", "BF": "BFA", "MM": "MMR", "KH": "KHM", "CM": "CMR", "CF": "CAF",
    "TD": "TCD", "CN": "CHN", "CO": "COL", "CD": "COD", "CR": "CRI", "CI": "CIV", "DO": "DOM",
    "EC": "ECU", "EG": "EGY", "SV": "SLV", "SZ": "SWZ", "ET": "ETH", "GH": "GHA", "GT": "GTM",
    "GN": "GIN", "HN": "HND", "IN": "IND", "ID": "IDN", "IR": "IRN", "KZ": "KAZ", "KE": "KEN",
    "KG": "KGZ", "LB": "LBN", "LS": "LSO", "LR": "LBR", "MG": "MDG", "MW": "MWI", "MY": "MYS",
    "ML": "MLI", "MR": "MRT", "MX": "MEX", "MN": "MNG", "MZ": "MOZ", "NP": "NPL", "NI": "NIC",
    "NE": "NER", "NG": "NGA", "KP": "PRK", "PK": "PAK", "PA": "PAN", "PY": "PRY", "PE": "PER",
    "PH": "PHL", "RU": "RUS", "RW": "RWA", "SN": "SEN", "SL": "SLE", "SS": "SSD", "SD": "SDN",
    "SR": "SUR", "TW": "TWN", "TJ": "TJK", "TZ": "TZA", "TH": "THA", "TR": "TUR", "TM": "TKM",
    "UG": "UGA", "UA": "UKR", "UZ": "UZB", "VE": "VEN", "VN": "VNM", "YE": "YEM", "ZM": "ZMB",
    "ZW": "ZWE", "US": "USA", "GB": "GBR", "FR": "FRA", "DE": "DEU", "IT": "ITA", "ES": "ESP",
    "PT": "PRT", "NL": "NLD", "BE": "BEL", "CH": "CHE", "SE": "SWE", "PL": "POL", "RO": "ROU",
    "JP": "JPN", "KR": "KOR", "CA": "CAN", "AU": "AUS", "LK": "LKA", "MA": "MAR", "TN": "TUN",
    "JO": "JOR", "AE": "ARE", "QA": "QAT", "SA": "SAU", "SG": "SGP", "HK": "HKG", "ZA": "ZAF",
    "CL": "CHL", "LA": "LAO",
}
ALPHA3: frozenset[str] = frozenset(_NAMES.values())


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("’", "'").split())


def to_alpha3(value: str, place: str | None = None) -> str:
    """The alpha-3 code of a country name or code; an ``InputError`` at ``place`` otherwise."""
    text = value.strip()
    if len(text) == 3 and text.upper() in ALPHA3:
        return text.upper()
    if len(text) == 2 and text.upper() in _ALPHA2:
        return _ALPHA2[text.upper()]
    code = _NAMES.get(_fold(text))
    if code is None:
        raise InputError(f"unknown country {value!r} (use ISO 3166-1 alpha-3, e.g. BGD)", place)
    return code
