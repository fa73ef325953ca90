"""Questionnaires out, submissions in: a rule set as an XLSForm for ODK and KoboToolbox, and
their exported submissions back as records screened in batch (``vigil forms``).

No web framework: plain data in, plain data out, like ``vigil.rules``.
"""

from vigil.forms.export import Form, build_form, form_languages, parse_languages, write_form, xform

__all__ = ["Form", "build_form", "form_languages", "parse_languages", "write_form", "xform"]
