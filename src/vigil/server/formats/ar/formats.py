# Arabic pages: day/month/year, shown and typed (Django sets no Arabic input formats).
SHORT_DATETIME_FORMAT = "d\u200f/m\u200f/Y H:i"
DATETIME_FORMAT = "j F\u060c Y H:i"
DATE_INPUT_FORMATS = [
    "%d/%m/%Y",  # '25/10/2006'
    "%d/%m/%y",  # '25/10/06'
]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
