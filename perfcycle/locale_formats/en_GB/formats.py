"""PerfCycle's formats for en-GB (FORMAT_MODULE_PATH): Django's en-GB formats with a
24-hour clock, and ISO dates accepted wherever dd/mm/yyyy is, so a date typed by hand and
the ISO value of a browser's date input both parse."""

DATE_FORMAT = "j M Y"  # 1 Dec 2026
SHORT_DATE_FORMAT = "d/m/Y"  # 01/12/2026
TIME_FORMAT = "H:i"  # 14:05
DATETIME_FORMAT = "j M Y, H:i"  # 1 Dec 2026, 14:05
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
YEAR_MONTH_FORMAT = "F Y"  # December 2026
MONTH_DAY_FORMAT = "j F"  # 1 December
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-01: the value a browser's <input type="date"> sends
    "%d/%m/%Y",  # 01/12/2026
    "%d/%m/%y",  # 01/12/26
    "%d %b %Y",  # 1 Dec 2026: what PerfCycle shows, typed back
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
