"""What the declaration page says, in one language: its sections, labels and values.

Everything printed is decided here, from the declaration as read back (the wire record) and
its operator; the template only lays it out. Enumerated values are translated like labels,
countries are named by CLDR and dates written in the language's own format.
"""

import datetime
from collections.abc import Callable, Iterable
from typing import NamedTuple

from portal import i18n
from portal.i18n import N_ as N_  # the marker, re-exported for those that list the labels
from portal.identity.storage import StoredOperator
from schemas.declarations import Declaration

# The wire's enumerations as their printed names (translated where printed).
OPERATION_TYPES = {
    "CABOTAGE_OPERATIONS": N_("Cabotage operations"),
    "INTERNATIONAL_CARRIAGE": N_("International carriage"),
}
TRANSPORT_TYPES = {"CARRIAGE_OF_GOODS": N_("Carriage of goods"), "CARRIAGE_OF_PASSENGERS": N_("Carriage of passengers")}
DOCUMENT_TYPES = {"IDCARD": N_("Identity card"), "PASSPORT": N_("Passport"), "DRIVINGLICENSE": N_("Driving licence")}
STATUSES = {"DRAFT": N_("Draft"), "SUBMITTED": N_("Submitted"), "WITHDRAWN": N_("Withdrawn"), "EXPIRED": N_("Expired")}


class Row(NamedTuple):
    label: str
    value: str


class Section(NamedTuple):
    title: str
    rows: list[Row]


class Page(NamedTuple):
    """One declaration version's page in one language."""

    language: i18n.Language
    title: str
    subtitle: str
    sections: list[Section]
    qr_text: str
    qr_caption: str


class _Writer:
    """Translates and formats in one language."""

    def __init__(self, language: i18n.Language) -> None:
        self.language = language
        self.gettext: Callable[[str], str] = i18n.translations(language).gettext
        self.not_given = self.gettext("not given")

    def text(self, value: str | None) -> str:
        return value if value else self.not_given

    def date(self, value: datetime.date | None) -> str:
        return i18n.date_text(value, self.language) if value else self.not_given

    def moment(self, value: datetime.datetime | None) -> str:
        if value is None:
            return self.not_given
        utc = value.astimezone(datetime.UTC)
        return f"{i18n.date_text(utc.date(), self.language)}, {utc:%H:%M} UTC"

    def country(self, code: str | None) -> str:
        return i18n.country_name(code, self.language) if code else self.not_given

    def names(self, values: Iterable[str], names: dict[str, str]) -> str:
        return ", ".join(self.gettext(names[value]) for value in values) or self.not_given

    def joined(self, *parts: str | None) -> str:
        return ", ".join(part for part in parts if part) or self.not_given

    def section(self, title: str, rows: list[tuple[str, str]]) -> Section:
        return Section(self.gettext(title), [Row(self.gettext(label), value) for label, value in rows])


def page(declaration: Declaration, operator: StoredOperator, language: i18n.Language, qr_text: str) -> Page:
    w = _Writer(language)
    d, profile = declaration, operator.profile
    manager = profile.transport_manager
    contact: list[tuple[str, str]]
    if d.other_contact_as_transport_manager:
        contact = [(N_("Contact person"), w.gettext("The transport manager is the contact person."))]
    else:
        contact = [
            (N_("First name"), w.text(d.other_contact_first_name)),
            (N_("Last name"), w.text(d.other_contact_last_name)),
            (N_("E-mail"), w.text(d.other_contact_email)),
            (N_("Phone"), w.text(d.other_contact_phone)),
            (
                N_("Address"),
                w.joined(
                    d.other_contact_address_street,
                    d.other_contact_address_post_code,
                    d.other_contact_address_city,
                    w.country(d.other_contact_address_country) if d.other_contact_address_country else None,
                ),
            ),
        ]
    sections = [
        w.section(
            N_("Posting"),
            [
                (N_("Host Member State"), w.country(d.declaration_posting_country)),
                (N_("Start date of the posting"), w.date(d.declaration_start_date)),
                (N_("End date of the posting"), w.date(d.declaration_end_date)),
                (N_("Type of operation"), w.names(d.declaration_operation_type, OPERATION_TYPES)),
                (N_("Type of transport"), w.names(d.declaration_transport_type, TRANSPORT_TYPES)),
            ],
        ),
        w.section(
            N_("Declaration"),
            [
                (N_("Declaration number"), str(d.declaration_id)),
                (N_("Version"), str(d.declaration_version)),
                (N_("Status"), w.gettext(STATUSES[d.declaration_status])),
                (N_("Submission date"), w.moment(d.declaration_submission_date)),
                (N_("Last update"), w.moment(d.declaration_last_update)),
            ],
        ),
        w.section(
            N_("Driver"),
            [
                (N_("First name"), d.driver_latin_first_name),
                (N_("Last name"), d.driver_latin_last_name),
                (N_("Date of birth"), w.date(d.driver_date_of_birth)),
                (N_("Driving licence number"), d.driver_license_number),
                (
                    N_("Address"),
                    w.joined(
                        d.driver_address_street,
                        d.driver_address_post_code,
                        d.driver_address_city,
                        w.country(d.driver_address_country),
                    ),
                ),
                (N_("Start date of the employment contract"), w.date(d.driver_contract_start_date)),
                (N_("Law applicable to the employment contract"), w.country(d.driver_applicable_law)),
            ],
        ),
        w.section(
            N_("Identity document"),
            [
                (N_("Document type"), w.gettext(DOCUMENT_TYPES[d.driver_document_type])),
                (N_("Document number"), d.driver_document_number),
                (N_("Issuing country"), w.country(d.driver_document_issuing_country)),
            ],
        ),
        w.section(
            N_("Transport undertaking"),
            [
                (N_("Name"), operator.name),
                (N_("Country of establishment"), w.country(operator.establishment_country)),
                (N_("Community licence number"), w.text(operator.community_licence)),
                (N_("VAT number"), w.text(profile.vat_number)),
                (N_("National register number"), w.text(profile.register_number)),
                (
                    N_("Address"),
                    w.joined(
                        profile.address_street,
                        profile.address_post_code,
                        profile.address_city,
                        w.country(profile.address_country) if profile.address_country else None,
                    ),
                ),
                (N_("E-mail"), w.text(profile.email)),
                (N_("Phone"), w.text(profile.phone)),
            ],
        ),
        w.section(
            N_("Transport manager"),
            [
                (N_("First name"), w.text(manager.first_name)),
                (N_("Last name"), w.text(manager.last_name)),
                (N_("E-mail"), w.text(manager.email)),
                (N_("Phone"), w.text(manager.phone)),
                (N_("Address"), w.text(manager.address)),
                (N_("CPC certificate number"), w.text(manager.cpc_number)),
            ],
        ),
        w.section(N_("Contact person"), contact),
        w.section(
            N_("Vehicles"),
            [
                (N_("Vehicles for the carriage of passengers"), ", ".join(d.declaration_vehicle_plate_number) or "–"),
                (N_("Light goods vehicles"), ", ".join(d.declaration_vehicle_plate_number_light) or "–"),
                (N_("Heavy goods vehicles"), ", ".join(d.declaration_vehicle_plate_number_heavy) or "–"),
            ],
        ),
    ]
    return Page(
        language=language,
        title=w.gettext("Posting declaration"),
        subtitle=w.gettext("Declaration of the posting of a road transport driver under Directive (EU) 2020/1057"),
        sections=sections,
        qr_text=qr_text,
        qr_caption=w.gettext("Scan the code to check that this declaration is valid."),
    )
