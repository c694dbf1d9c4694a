"""The school's pupil records: create, edit and import from CSV. One set of checks serves the form and the import.

A pupil record is the school's alone: a provider only ever sees a placed pupil's name, year group, date of birth and
the placement's need-to-know summary (shared.services.placements.plans).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, fields, replace
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from shared import audit
from shared.clock import today as school_today
from shared.extensions import db
from shared.models import ChildProtectionStatus, Organisation, Pupil, SendStatus, User
from shared.services.errors import Problems, RuleBroken
from shared.upn import InvalidUPN, validate_upn

# Year groups as stored (the value) and shown (the label): Reception to Year 13.
YEAR_GROUPS: dict[str, str] = {"R": "Reception"} | {str(n): f"Year {n}" for n in range(1, 14)}
SEND_LABELS = {
    SendStatus.NONE.value: "No special educational needs",
    SendStatus.SEN_SUPPORT.value: "SEN support",
    SendStatus.EHCP.value: "Education, health and care plan (EHCP)",
}
CHILD_PROTECTION_LABELS = {
    ChildProtectionStatus.NONE.value: "None",
    ChildProtectionStatus.CHILD_IN_NEED.value: "Child in need",
    ChildProtectionStatus.CHILD_PROTECTION_PLAN.value: "Child protection plan",
}
DUPLICATE_UPN = "A pupil with this UPN is already on the school's records"
NAME_MAX = 100
PERSON_MAX = 200


@dataclass
class PupilDetails:
    upn: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    preferred_name: str | None = None
    year_group: str | None = None
    send_status: str = SendStatus.NONE.value
    semh: bool = False
    looked_after: bool = False
    child_protection: str = ChildProtectionStatus.NONE.value
    social_worker_name: str | None = None
    social_worker_email: str | None = None
    yot_worker: str | None = None
    welfare_officer_name: str | None = None
    welfare_officer_email: str | None = None
    early_help: bool = False
    other_agencies: str | None = None


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def checked(details: PupilDetails, today: date | None = None) -> PupilDetails:
    """The details tidied and checked, or RuleBroken (RulesBroken when several) naming every field that is wrong."""
    today = today or school_today()
    found = Problems()
    upn = ""
    try:
        upn = validate_upn(details.upn or "")
    except InvalidUPN as exc:
        found.add("Enter the UPN" if not (details.upn or "").strip() else str(exc), "upn")
    first_name, last_name = (details.first_name or "").strip(), (details.last_name or "").strip()
    if not first_name:
        found.add("Enter the pupil's legal first name", "first_name")
    if not last_name:
        found.add("Enter the pupil's legal last name", "last_name")
    for name, label in (
        (first_name, "First name"),
        (last_name, "Last name"),
        (details.preferred_name, "Preferred name"),
    ):
        if name and len(name) > NAME_MAX:
            found.add(f"{label} must be {NAME_MAX} characters or fewer", _field_for(label))
    if details.date_of_birth is None:
        found.add("Enter the pupil's date of birth", "date_of_birth")
    elif not (date(today.year - 25, 1, 1) <= details.date_of_birth < today):
        found.add("Date of birth must be a real date in the past, within the last 25 years", "date_of_birth")
    if details.year_group and details.year_group not in YEAR_GROUPS:
        found.add("Choose a year group from Reception to Year 13", "year_group")
    if details.send_status not in SEND_LABELS:
        found.add("Choose the pupil's SEND status", "send_status")
    if details.child_protection not in CHILD_PROTECTION_LABELS:
        found.add("Choose none, child in need or child protection plan", "child_protection")
    social_worker_email = found.attempt(
        lambda: _email(details.social_worker_email, "social_worker_email", "social worker")
    )
    welfare_officer_email = found.attempt(
        lambda: _email(details.welfare_officer_email, "welfare_officer_email", "welfare officer")
    )
    tidy = replace(
        details,
        upn=upn,
        first_name=first_name,
        last_name=last_name,
        preferred_name=_blank_to_none(details.preferred_name),
        year_group=details.year_group or None,
        social_worker_name=_blank_to_none(details.social_worker_name),
        social_worker_email=social_worker_email,
        yot_worker=_blank_to_none(details.yot_worker),
        welfare_officer_name=_blank_to_none(details.welfare_officer_name),
        welfare_officer_email=welfare_officer_email,
        other_agencies=_blank_to_none(details.other_agencies),
    )
    for name in ("social_worker_name", "yot_worker", "welfare_officer_name"):
        if getattr(tidy, name) and len(getattr(tidy, name)) > PERSON_MAX:
            found.add(f"Keep this to {PERSON_MAX} characters or fewer", name)
    found.raise_any()
    return tidy


def _field_for(label: str) -> str:
    return label.lower().replace(" ", "_")


def _email(value: str | None, field: str, whose: str) -> str | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise RuleBroken(
            f"Enter the {whose}'s email address in the correct format, like name@example.com", field
        ) from exc


def _upn_taken(school_id: uuid.UUID, upn: str, *, other_than: uuid.UUID | None = None) -> bool:
    query = select(Pupil.id).where(Pupil.school_id == school_id, Pupil.upn == upn)
    if other_than is not None:
        query = query.where(Pupil.id != other_than)
    return db.session.scalar(query) is not None


def create_pupil(school: Organisation, details: PupilDetails, *, by: User) -> Pupil:
    details = checked(details)
    if _upn_taken(school.id, details.upn):
        raise RuleBroken(DUPLICATE_UPN, "upn")
    pupil = Pupil(school_id=school.id, **{f.name: getattr(details, f.name) for f in fields(PupilDetails)})
    db.session.add(pupil)
    db.session.flush()
    audit.record("pupil.created", organisation=school, obj=pupil, actor=by)
    db.session.commit()
    return pupil


def update_pupil(pupil: Pupil, details: PupilDetails, *, by: User) -> list[str]:
    """Save changed details; returns the names of the fields that changed (audited by name, never by value)."""
    details = checked(details)
    if _upn_taken(pupil.school_id, details.upn, other_than=pupil.id):
        raise RuleBroken(DUPLICATE_UPN, "upn")
    changed = []
    for f in fields(PupilDetails):
        new = getattr(details, f.name)
        old = getattr(pupil, f.name)
        if (old.value if hasattr(old, "value") else old) != new:
            setattr(pupil, f.name, new)
            changed.append(f.name)
    if changed:
        audit.record("pupil.updated", organisation=pupil.school, obj=pupil, actor=by, fields=changed)
        db.session.commit()
    return changed


# --- CSV import ---------------------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
MAX_LISTED_PROBLEMS = 50


@dataclass(frozen=True)
class ImportColumn:
    name: str
    required: bool
    meaning: str
    example: str


IMPORT_COLUMNS = (
    ImportColumn("upn", True, "Unique pupil number: 13 characters, check letter first", "M999000026001"),
    ImportColumn("first_name", True, "Legal first name", "Ava"),
    ImportColumn("last_name", True, "Legal last name", "Example"),
    ImportColumn("preferred_name", False, "First name the pupil likes to be called, if different", "Avie"),
    ImportColumn("date_of_birth", True, "Day/month/year, like 14/03/2012 (or 2012-03-14)", "14/03/2012"),
    ImportColumn("year_group", False, "R for Reception, or 1 to 13 (Year 9 and Y9 are fine too)", "9"),
    ImportColumn("send_status", False, "none, sen_support or ehcp (or the census codes N, K, E)", "sen_support"),
    ImportColumn("semh", False, "yes or no: social, emotional and mental health needs", "yes"),
    ImportColumn("looked_after", False, "yes or no", "no"),
    ImportColumn("child_protection", False, "none, child_in_need or child_protection_plan", "none"),
    ImportColumn("social_worker_name", False, "Social worker's name", ""),
    ImportColumn("social_worker_email", False, "Social worker's email address", ""),
    ImportColumn("yot_worker", False, "Youth offending team worker's name and contact", ""),
    ImportColumn("welfare_officer_name", False, "Pupil welfare (attendance) officer's name", ""),
    ImportColumn("welfare_officer_email", False, "Pupil welfare officer's email address", ""),
    ImportColumn("early_help", False, "yes or no: open to Early Help", "no"),
    ImportColumn("other_agencies", False, "Other agencies involved", ""),
)
COLUMN_NAMES = tuple(column.name for column in IMPORT_COLUMNS)
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}
_SEND_CODES = {"n": "none", "k": "sen_support", "e": "ehcp", "sen support": "sen_support"}
_CP_WORDS = {"cin": "child_in_need", "child in need": "child_in_need", "cp": "child_protection_plan"}


def example_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    writer.writerow([column.example for column in IMPORT_COLUMNS])
    return out.getvalue()


class ImportRefused(Exception):
    """The file as a whole, or some of its rows, are not right: nothing was imported. `problems` are the lines to
    show, each starting "Row N:" where it is about a row (rows numbered as in a spreadsheet: the header is row 1)."""

    def __init__(self, problems: list[str]):
        super().__init__(problems[0] if problems else "The file could not be imported")
        self.problems = problems


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ImportRefused(["The file is empty"])
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused([f"The file must be {MAX_IMPORT_BYTES // (1024 * 1024)} MB or smaller"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            ["The file must be a CSV saved as UTF-8. In Excel, choose Save As, then 'CSV UTF-8 (Comma delimited)'"]
        ) from exc


def _header_name(raw: str) -> str:
    return "_".join(raw.strip().lower().replace("-", " ").split())


def _flag(value: str, label: str) -> bool:
    word = value.strip().lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise RuleBroken(f"{label} must be yes or no", label.lower().replace(" ", "_"))


def _date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RuleBroken("Date of birth must be a real date written like 14/03/2012", "date_of_birth")


def _year_group(value: str) -> str | None:
    word = value.strip().lower().replace("year", "").replace("y", "").strip()
    if not word:
        return None
    if word in ("r", "reception", "rec"):
        return "R"
    if word.isdigit() and str(int(word)) in YEAR_GROUPS:
        return str(int(word))
    raise RuleBroken("Year group must be R or a number from 1 to 13", "year_group")


def _row_details(row: dict[str, str], today: date | None = None) -> PupilDetails:
    """The row's pupil, checked, or RuleBroken listing every problem the row has (RulesBroken when several)."""

    def get(name: str) -> str:
        return (row.get(name) or "").strip()

    found = Problems()
    send = _SEND_CODES.get(get("send_status").lower(), get("send_status").lower() or "none")
    if send not in SEND_LABELS:
        found.add("SEND status must be none, sen_support or ehcp", "send_status")
    protection = get("child_protection").lower()
    protection = _CP_WORDS.get(protection, protection.replace(" ", "_") or "none")
    if protection not in CHILD_PROTECTION_LABELS:
        found.add("Child protection must be none, child_in_need or child_protection_plan", "child_protection")
    date_of_birth = found.attempt(lambda: _date(get("date_of_birth")))
    year_group = found.attempt(lambda: _year_group(get("year_group")))
    flags = {
        name: bool(found.attempt(lambda label=label, name=name: _flag(get(name), label)))  # type: ignore[misc]
        for name, label in (("semh", "SEMH"), ("looked_after", "Looked after"), ("early_help", "Early Help"))
    }
    details = PupilDetails(
        upn=get("upn"),
        first_name=get("first_name"),
        last_name=get("last_name"),
        preferred_name=get("preferred_name"),
        date_of_birth=date_of_birth,
        year_group=year_group,
        send_status=send,
        semh=flags["semh"],
        looked_after=flags["looked_after"],
        child_protection=protection,
        social_worker_name=get("social_worker_name"),
        social_worker_email=get("social_worker_email"),
        yot_worker=get("yot_worker"),
        welfare_officer_name=get("welfare_officer_name"),
        welfare_officer_email=get("welfare_officer_email"),
        early_help=flags["early_help"],
        other_agencies=get("other_agencies"),
    )
    try:
        tidy = checked(details, today)
    except RuleBroken as exc:
        # The record's own rules, for the columns whose words could be read (one message per column).
        found.found.extend(problem for problem in exc.problems if not found.has(problem.field or ""))
        tidy = details
    found.raise_any()
    return tidy


def parse_import(school: Organisation, data: bytes, today: date | None = None) -> list[PupilDetails]:
    """Every row checked, or ImportRefused listing every problem; nothing is written here."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = [_header_name(name) for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise ImportRefused(["The file could not be read as a CSV file"]) from exc
    unknown = [name for name in header if name not in COLUMN_NAMES]
    if unknown:
        raise ImportRefused([f"The first row has a column that is not one of ours: {unknown[0]}. Use the names listed"])
    missing = [column.name for column in IMPORT_COLUMNS if column.required and column.name not in header]
    if missing:
        raise ImportRefused([f"The first row must name the columns; it has no {', '.join(missing)} column"])
    if len(set(header)) != len(header):
        raise ImportRefused(["The first row names a column twice"])
    existing = set(db.session.scalars(select(Pupil.upn).where(Pupil.school_id == school.id)))
    seen: dict[str, int] = {}
    pupils: list[PupilDetails] = []
    problems: list[str] = []
    try:
        for row_number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue  # a blank line (spreadsheets often leave one at the end)
            if len(pupils) + len(problems) >= MAX_IMPORT_ROWS:
                raise ImportRefused([f"Import at most {MAX_IMPORT_ROWS} pupils in one file"])
            if len(values) != len(header):
                problems.append(f"Row {row_number}: it has {len(values)} values but the first row names {len(header)}")
                continue
            try:
                details = _row_details(dict(zip(header, values, strict=True)), today)
            except RuleBroken as exc:
                problems.extend(f"Row {row_number}: {problem}" for problem in exc.problems)
                continue
            if details.upn in existing:
                problems.append(f"Row {row_number}: {DUPLICATE_UPN} ({details.upn})")
            elif details.upn in seen:
                problems.append(f"Row {row_number}: the UPN {details.upn} is also on row {seen[details.upn]}")
            else:
                seen[details.upn] = row_number
                pupils.append(details)
    except csv.Error as exc:
        raise ImportRefused([f"The file could not be read as a CSV file (near row {reader.line_num})"]) from exc
    if problems:
        shown = problems[:MAX_LISTED_PROBLEMS]
        if len(problems) > len(shown):
            shown.append(f"And {len(problems) - len(shown)} more problems")
        raise ImportRefused(shown)
    if not pupils:
        raise ImportRefused(["The file has no pupils in it, only the first row"])
    return pupils


def import_pupils(school: Organisation, data: bytes, *, by: User) -> int:
    """All or nothing: every row is checked first; one commit for the lot. Returns how many were imported; on an
    ImportRefused nothing is kept (rolled back)."""
    try:
        pupils = parse_import(school, data)
    except ImportRefused:
        db.session.rollback()
        raise
    for details in pupils:
        db.session.add(Pupil(school_id=school.id, **{f.name: getattr(details, f.name) for f in fields(PupilDetails)}))
    audit.record("pupils.imported", organisation=school, actor=by, count=len(pupils))
    db.session.commit()
    return len(pupils)
