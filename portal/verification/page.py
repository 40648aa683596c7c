"""The verification page as HTML, in one language: the verdict first, then what is declared."""

import datetime
from pathlib import Path

import jinja2

from portal import i18n
from portal.i18n import N_
from schemas.verification import NotValidBecause, Verification

TITLE = N_("Check a posting declaration")
VALID = N_("This declaration is valid today.")
NOT_VALID = N_("This declaration is not valid today.")
REASONS: dict[NotValidBecause, str] = {
    "NOT_STARTED": N_("Its posting period has not started yet."),
    "EXPIRED": N_("Its posting period has ended."),
    "WITHDRAWN": N_("It was withdrawn by the transport undertaking."),
    "SUPERSEDED": N_("A later version of this declaration replaces this document."),
}

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def html(verification: Verification, language: i18n.Language) -> str:
    """Every value escaped by the template: a declaration's text is shown, never interpreted."""
    gettext = i18n.translations(language).gettext
    declaration = verification

    def date(value: datetime.date) -> str:
        return i18n.date_text(value, language)

    rows = [
        (gettext(N_("Host Member State")), i18n.country_name(declaration.declaration_posting_country, language)),
        (gettext(N_("Start date of the posting")), date(declaration.declaration_start_date)),
        (gettext(N_("End date of the posting")), date(declaration.declaration_end_date)),
        (gettext(N_("Vehicle plates")), ", ".join(declaration.vehicle_plates)),
        (gettext(N_("Transport undertaking")), declaration.operator_name),
        (gettext(N_("First name")), declaration.driver_latin_first_name),
        (gettext(N_("Last name")), declaration.driver_latin_last_name),
        (gettext(N_("Date of birth")), date(declaration.driver_date_of_birth)),
        (gettext(N_("Declaration number")), str(declaration.declaration_id)),
        (gettext(N_("Version")), str(declaration.declaration_version)),
    ]
    return _templates.get_template("verify.html").render(
        lang=i18n.locale_name(language).replace("_", "-"),
        title=gettext(TITLE),
        valid=verification.valid,
        verdict=gettext(VALID if verification.valid else NOT_VALID),
        reason=gettext(REASONS[verification.reason]) if verification.reason else "",
        checked_on=date(verification.checked_on),
        rows=rows,
    )
