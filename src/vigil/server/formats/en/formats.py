# English pages: ISO dates, shown and typed (never the United States' month/day/year).
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2026-05-01'
    "%d %b %Y",  # '1 May 2026'
    "%d %B %Y",  # '1 May 2026'
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
]
