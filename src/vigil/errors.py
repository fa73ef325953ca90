"""Domain errors. Every error names the place it comes from (file, line/row, column or key)."""

from __future__ import annotations


class VigilError(Exception):
    """Base of every error Vigil reports to a user.

    ``place`` says where the problem is (``"cases.csv, row 12, column CD01"``); the CLI prints
    ``"<place>: <message>"`` on one line and exits with status 2.
    """

    def __init__(self, message: str, place: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.place = place

    def __str__(self) -> str:
        return f"{self.place}: {self.message}" if self.place else self.message

    def at(self, place: str) -> VigilError:
        """Return the same error with ``place`` prefixed by an outer location (e.g. the file)."""
        inner = f"{place}, {self.place}" if self.place else place
        return type(self)(self.message, inner)


class InputError(VigilError):
    """Malformed or invalid input data (records, CSV, XLSX, YAML, design files)."""


class RuleSetError(VigilError):
    """A rule set file that is malformed, unknown or inconsistent."""


class EstimationError(VigilError):
    """A statistical estimate that cannot be computed on the data given (e.g. not identifiable)."""


class NotEstimableError(EstimationError):
    """The data cannot identify the quantity asked for (e.g. a population size from lists with no
    one in common, a stratum with one PSU and no lonely-PSU rule): refused, never a number."""
