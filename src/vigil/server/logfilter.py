"""A logging filter that keeps personal data out of the logs.

Log records keep their level, logger, place and exception *type*; what could carry a value typed by
a user (the formatted arguments, exception messages, request objects) is dropped. Vigil's own code
logs only identifiers (case reference, database id, counts), never identity values.
"""

from __future__ import annotations

import logging
import traceback


class NoPersonalDataFilter(logging.Filter):
    # Loggers whose messages are built only from Vigil's own identifiers and counts.
    trusted_prefixes = ("vigil.",)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _exc, tb = record.exc_info
            # Places only (file, line, function): source lines may hold literals.
            frames = "".join(
                f'  File "{f.filename}", line {f.lineno}, in {f.name}\n' for f in traceback.extract_tb(tb)
            )
            head = record.getMessage() if self._trusted(record) else self._scrub(record)
            record.msg = f"{head}\n{frames}{exc_type.__name__} (message withheld)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        elif not self._trusted(record):
            record.msg = self._scrub(record)
            record.args = None
        if hasattr(record, "request"):
            record.request = None
        return True

    def _trusted(self, record: logging.LogRecord) -> bool:
        return record.name.startswith(self.trusted_prefixes)

    @staticmethod
    def _scrub(record: logging.LogRecord) -> str:
        # Keep the fixed message template, never the interpolated values.
        template = str(record.msg)
        if record.args:
            return template.replace("%s", "<withheld>").replace("%r", "<withheld>").replace("%d", "<n>")
        return template if record.name in {"django.server", "django.request"} else template[:200]
