"""Forms of the provider portal (GOV.UK widgets). The rules are in shared.services; these only collect input."""

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from shared.evidence_catalogue import PROVIDER_TYPE_LABELS
from shared.forms import DayMonthYearField, MultiCheckboxField, RadiosField, choices_from, single_line


def _text(label: str, *, required: str | None = None, max_length: int = 200, description: str = "") -> StringField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    validators.append(Length(max=max_length, message=f"{label} must be {max_length} characters or fewer"))
    return StringField(
        label, widget=GovTextInput(), filters=[single_line], validators=validators, description=description
    )


class OrganisationForm(FlaskForm):
    provider_type = RadiosField(
        "What type of provider are you?",
        invalid_message="Select the type of provider",
        choices=choices_from(PROVIDER_TYPE_LABELS),
        validators=[InputRequired(message="Select the type of provider")],
    )
    urn = _text(
        "URN (if you have one)",
        max_length=6,
        description="Registered schools, PRUs and independent schools: your 6-digit unique reference number.",
    )
    ukprn = _text(
        "UKPRN (if you have one)",
        max_length=8,
        description="Colleges and training providers: your 8-digit UK provider reference number.",
    )
    setting_type = _text(
        "Type of setting",
        max_length=200,
        description="Unregistered providers and tutors only: for example 'farm-based vocational "
        "provision' or 'one-to-one tuition at the pupil's home'.",
    )
    company_number = _text("Company number (optional)", max_length=8)
    charity_number = _text("Charity number (optional)", max_length=8)
    address_line_1 = _text("Address line 1", required="Enter the first line of your address")
    address_line_2 = _text("Address line 2 (optional)")
    town = _text("Town or city", required="Enter the town or city", max_length=100)
    postcode = _text("Postcode", required="Enter your postcode", max_length=10)
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


class SiteForm(FlaskForm):
    name = _text("Site name", required="Enter a name for the site, like 'Main building'")
    address_line_1 = _text("Address line 1", required="Enter the first line of the site's address")
    address_line_2 = _text("Address line 2 (optional)")
    town = _text("Town or city", required="Enter the town or city", max_length=100)
    postcode = _text("Postcode", required="Enter the site's postcode", max_length=10)
    activities = TextAreaField(
        "What happens at this site",
        widget=GovTextArea(),
        description="For example: English and maths lessons, construction skills workshop.",
        validators=[
            InputRequired(message="Say what happens at this site"),
            Length(max=2000, message="Keep this to 2000 characters or fewer"),
        ],
    )
    submit = SubmitField("Add site", widget=GovSubmitInput())


def _email(label: str, required: str) -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[lambda v: v.strip() if v else v],
        validators=[
            InputRequired(message=required),
            Length(max=254, message="Email address must be 254 characters or fewer"),
            Email(
                message="Enter an email address in the correct format, like name@example.com",
                check_deliverability=False,
            ),
        ],
    )


class ContactsForm(FlaskForm):
    manager_name = _text("Manager's full name", required="Enter the manager's name")
    manager_email = _email("Manager's email address", "Enter the manager's email address")
    manager_phone = _text("Manager's phone number", required="Enter the manager's phone number", max_length=30)
    dsl_name = _text("DSL's full name", required="Enter the designated safeguarding lead's name")
    dsl_email = _email("DSL's email address", "Enter the DSL's email address")
    dsl_phone = _text(
        "DSL's phone number",
        required="Enter the DSL's phone number",
        max_length=30,
        description="A number the school can call during the day about a child's safety.",
    )
    dsl_training_date = DayMonthYearField(
        "When did the DSL last complete safeguarding training?",
        description="For example, 27 3 2025. DSL training must be renewed every 2 years.",
        validators=[InputRequired(message="Enter the date of the DSL's last safeguarding training")],
    )
    submit = SubmitField("Save and continue", widget=GovSubmitInput())


BARRED_LIST_MISSING = "Say whether it is an enhanced certificate with a children's barred list check"


class StaffMemberForm(FlaskForm):
    name = _text("Full name", required="Enter the person's full name")
    role = _text("Role", required="Enter their role, like 'Tutor' or 'Workshop leader'")
    dbs_certificate_number = _text(
        "DBS certificate number",
        required="Enter the DBS certificate number",
        max_length=14,
        description="12 digits, printed on the certificate.",
    )
    dbs_issue_date = DayMonthYearField(
        "Date the DBS certificate was issued",
        validators=[InputRequired(message="Enter the date the certificate was issued")],
    )
    enhanced_with_barred_list = RadiosField(
        "Is it an enhanced certificate with a check of the children's barred list?",
        choices=choices_from({"yes": "Yes", "no": "No"}),
        invalid_message="Say whether it is an enhanced certificate with a children's barred list check",
        validators=[
            InputRequired(message="Say whether it is an enhanced certificate with a children's barred list check")
        ],
    )
    works_with_pupils = RadiosField(
        "Will they work with the school's pupils?",
        choices=choices_from({"yes": "Yes", "no": "No"}),
        invalid_message="Say whether they will work with the school's pupils",
        validators=[InputRequired(message="Say whether they will work with the school's pupils")],
    )
    start_date = DayMonthYearField(
        "Date they started working for you",
        validators=[InputRequired(message="Enter the date they started working for you")],
    )
    update_service_subscribed = RadiosField(
        "Is the certificate on the DBS Update Service?",
        choices=choices_from({"yes": "Yes", "no": "No"}),
        invalid_message="Say whether the certificate is on the Update Service",
        validators=[InputRequired(message="Say whether the certificate is on the Update Service")],
    )
    checks = MultiCheckboxField(
        "Checks you have made",
        choices=choices_from({"identity": "Identity", "right_to_work": "Right to work in the UK"}),
    )
    prohibition_check = RadiosField(
        "Prohibition from teaching check",
        choices=choices_from({"done": "Done", "not_relevant": "Not relevant to the role"}),
        invalid_message="Say whether a prohibition check was done",
        validators=[InputRequired(message="Say whether a prohibition check was done")],
    )
    submit = SubmitField("Add to staff list", widget=GovSubmitInput())


class StatusCheckForm(FlaskForm):
    surname = _text("Certificate holder's current surname", required="Enter the certificate holder's current surname")
    date_of_birth = DayMonthYearField(
        "Certificate holder's date of birth",
        validators=[InputRequired(message="Enter the certificate holder's date of birth")],
    )
    submit = SubmitField("Run status check", widget=GovSubmitInput())


class ConfirmationForm(FlaskForm):
    agreed = MultiCheckboxField(
        "Confirmation",
        choices=choices_from({"yes": "I confirm the statement above is true"}),
        validators=[InputRequired(message="Confirm that the statement is true")],
    )
    typed_name = _text("Your full name", required="Type your full name to sign")
    signer_role = _text("Your role", required="Enter your role")
    submit = SubmitField("Sign the confirmation", widget=GovSubmitInput())
