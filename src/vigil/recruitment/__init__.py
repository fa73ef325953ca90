"""Prevention at the source (issue 9): job-offer screening, fee classification under the
Employer Pays principle, agency name matching and an explained agency risk score.

Plain Python, no web framework: the CLI (``vigil recruiters``) and, later, the server's
recruiter registry call the same functions.

    >>> from vigil.recruitment import screen_offer
    >>> screen_offer("Placement fee: 500 USD, paid before departure.").signs
    ('fee_charged',)
"""

from vigil.recruitment.offers import NO_SIGN_MESSAGE, OfferScreen, detect_language, screen_offer
from vigil.recruitment.signs_model import SIGN_IDS, Sign, SignSet, load_signs

__all__ = [
    "NO_SIGN_MESSAGE",
    "SIGN_IDS",
    "OfferScreen",
    "Sign",
    "SignSet",
    "detect_language",
    "load_signs",
    "screen_offer",
]
