"""The test world: organisations, people and the records the tests need, written to the test database as the app
would (committed, so every connection sees them). `Person` is a user as a test signs in with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pyotp

from shared.extensions import db
from shared.models import (
    Organisation,
    OrganisationKind,
    ProviderProfile,
    ProviderStatus,
    SchoolProvider,
    utcnow,
)
from shared.services.accounts import people as accounts

TEST_PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    id: uuid.UUID
    email: str
    password: str
    totp_secret: str | None
    organisation_id: uuid.UUID
    roles: list[str] = field(default_factory=list)

    def code(self, offset_steps: int = 0) -> str:
        totp = pyotp.TOTP(self.totp_secret)
        return totp.at(utcnow().timestamp() + offset_steps * totp.interval)


class World:
    """Builds organisations and users in the test database."""

    def __init__(self, app):
        self.app = app

    def school(
        self,
        name: str = "Test School",
        *,
        local_authority_id: uuid.UUID | None = None,
        trust_name: str | None = None,
        urn: str | None = None,
    ) -> uuid.UUID:
        with self.app.app_context():
            org = Organisation(
                kind=OrganisationKind.SCHOOL,
                name=name,
                local_authority_id=local_authority_id,
                trust_name=trust_name,
                urn=urn,
            )
            db.session.add(org)
            db.session.commit()
            return org.id

    def local_authority(self, name: str = "Test Borough Council") -> uuid.UUID:
        with self.app.app_context():
            org = Organisation(kind=OrganisationKind.LOCAL_AUTHORITY, name=name)
            db.session.add(org)
            db.session.commit()
            return org.id

    def works_with(
        self, school_id: uuid.UUID, provider_id: uuid.UUID, status: ProviderStatus = ProviderStatus.APPROVED
    ) -> uuid.UUID:
        """A second (or later) school's relationship with an existing provider."""
        with self.app.app_context():
            link = SchoolProvider(school_id=school_id, provider_id=provider_id, status=status)
            db.session.add(link)
            db.session.commit()
            return link.id

    def asks(self, school_id: uuid.UUID, provider_id: uuid.UUID, typed_name: str = "Typed Name") -> uuid.UUID:
        """A school's invitation to a provider already on AP Portal, waiting for the provider's answer."""
        with self.app.app_context():
            link = SchoolProvider(
                school_id=school_id, provider_id=provider_id, status=ProviderStatus.INVITED, invited_name=typed_name
            )
            db.session.add(link)
            db.session.commit()
            return link.id

    def provider(
        self,
        school_id: uuid.UUID,
        name: str = "Test Provider",
        status: ProviderStatus = ProviderStatus.ONBOARDING,
        *,
        provider_type: str | None = None,
    ) -> uuid.UUID:
        with self.app.app_context():
            org = Organisation(kind=OrganisationKind.PROVIDER, name=name)
            db.session.add(org)
            db.session.add(ProviderProfile(organisation=org, provider_type=provider_type))
            db.session.add(SchoolProvider(school_id=school_id, provider=org, status=status))
            db.session.commit()
            return org.id

    def site(self, provider_id: uuid.UUID, name: str = "Main building") -> uuid.UUID:
        from shared.models import ProviderSite

        with self.app.app_context():
            profile = db.session.query(ProviderProfile).filter_by(organisation_id=provider_id).one()
            site = ProviderSite(
                profile=profile,
                organisation_id=provider_id,
                name=name,
                address_line_1="1 High Street",
                town="Exampleton",
                postcode="EX1 1AA",
                activities="English and maths",
            )
            db.session.add(site)
            db.session.commit()
            return site.id

    def evidence_file(
        self, document_id: uuid.UUID, *, content: bytes = b"%PDF-1.7\n% the second file\n", position: int = 2
    ) -> uuid.UUID:
        """A second (or later) file of an evidence document's version, its object stored."""
        import hashlib
        import io

        from shared.models import EvidenceDocument, EvidenceFile
        from shared.storage import LocalStorage, new_key

        with self.app.app_context():
            document = db.session.get(EvidenceDocument, document_id)
            key = new_key(document.organisation_id)
            LocalStorage(self.app.config["UPLOAD_FOLDER"]).save(
                key, io.BytesIO(content), content_type="application/pdf", download_name="Second file.pdf"
            )
            extra = EvidenceFile(
                document_id=document_id,
                position=position,
                storage_key=key,
                display_name="Second file.pdf",
                content_type="application/pdf",
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                virus_scanned=True,
            )
            db.session.add(extra)
            db.session.commit()
            return extra.id

    def document_row(
        self, provider_id: uuid.UUID, evidence_type: str = "behaviour_policy", *, status: str = "awaiting_review"
    ) -> uuid.UUID:
        """An evidence document's row only (no stored object): for pages that list or review documents."""
        from shared.models import DocumentStatus, EvidenceDocument

        with self.app.app_context():
            document = EvidenceDocument(
                organisation_id=provider_id,
                evidence_type=evidence_type,
                status=DocumentStatus(status),
                storage_key=f"{provider_id}/{uuid.uuid4()}",
                display_name="Behaviour policy 2026.pdf",
                content_type="application/pdf",
                size_bytes=1234,
                sha256="0" * 64,
                virus_scanned=True,
            )
            db.session.add(document)
            db.session.commit()
            return document.id

    def document(
        self,
        provider_id: uuid.UUID,
        evidence_type: str = "behaviour_policy",
        *,
        content: bytes = b"%PDF-1.7\n% a stored test document\n",
        display_name: str = "Behaviour policy 2026.pdf",
        content_type: str = "application/pdf",
        status: str = "awaiting_review",
    ) -> uuid.UUID:
        """An evidence document with its object stored (LocalStorage in the app's UPLOAD_FOLDER), for downloads."""
        import hashlib
        import io

        from shared.models import DocumentStatus, EvidenceDocument
        from shared.storage import LocalStorage, new_key

        key = new_key(provider_id)
        LocalStorage(self.app.config["UPLOAD_FOLDER"]).save(
            key, io.BytesIO(content), content_type=content_type, download_name=display_name
        )
        with self.app.app_context():
            document = EvidenceDocument(
                organisation_id=provider_id,
                evidence_type=evidence_type,
                status=DocumentStatus(status),
                storage_key=key,
                display_name=display_name,
                content_type=content_type,
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                virus_scanned=True,
            )
            db.session.add(document)
            db.session.commit()
            return document.id

    def staff_member(
        self, provider_id: uuid.UUID, name: str = "Sam Tutor", dbs: str = "001234567891", **fields
    ) -> uuid.UUID:
        """A member of a provider's staff list with every check made, unless `fields` say otherwise."""
        from datetime import date

        from shared.models import StaffMember

        with self.app.app_context():
            checks = {
                "enhanced_with_barred_list": True,
                "update_service_subscribed": True,
                "identity_checked": True,
                "right_to_work_checked": True,
            }
            member = StaffMember(
                organisation_id=provider_id,
                name=name,
                role="Tutor",
                dbs_certificate_number=dbs,
                dbs_issue_date=date(2025, 1, 10),
                **{**checks, **fields},
            )
            db.session.add(member)
            db.session.commit()
            return member.id

    def term(self, school_id: uuid.UUID, start=None, end=None, name: str = "School year 2026 to 2027") -> uuid.UUID:
        """A term (by default the whole school year from September 2026 to July 2027)."""
        from datetime import date

        from shared.models import SchoolTerm

        with self.app.app_context():
            term = SchoolTerm(
                school_id=school_id, name=name, start_date=start or date(2026, 9, 1), end_date=end or date(2027, 7, 23)
            )
            db.session.add(term)
            db.session.commit()
            return term.id

    def pupil(self, school_id: uuid.UUID, upn: str | None = None, **fields) -> uuid.UUID:
        """A pupil with a valid UPN (a new one each time unless given) and any other fields."""
        from datetime import date

        from shared.models import Pupil
        from shared.upn import make_upn

        with self.app.app_context():
            pupil = Pupil(
                school_id=school_id,
                upn=upn or make_upn(),
                first_name=fields.pop("first_name", "Ava"),
                last_name=fields.pop("last_name", "Example"),
                date_of_birth=fields.pop("date_of_birth", date(2012, 3, 14)),
                year_group=fields.pop("year_group", "9"),
                **fields,
            )
            db.session.add(pupil)
            db.session.commit()
            return pupil.id

    def placement(
        self,
        school_id: uuid.UUID,
        provider_id: uuid.UUID,
        pupil_id: uuid.UUID | None = None,
        *,
        start=None,
        timetable: list[str] | None = None,
        legal_basis: str = "school_arranged",
        status: str = "active",
        with_term: bool = True,
        **fields,
    ) -> uuid.UUID:
        """An agreed, running placement (every weekday AM and PM unless a timetable is given). Adds the school year's
        term when the school has no terms yet, so sessions are expected."""
        from datetime import date

        from shared.models import HeadteacherDecision, Placement, PlacementStatus, SchoolTerm
        from shared.models.pupil import TIMETABLE_SLOTS

        pupil_id = pupil_id or self.pupil(school_id)
        with self.app.app_context():
            has_term = db.session.query(SchoolTerm).filter_by(school_id=school_id).first() is not None
        if with_term and not has_term:
            self.term(school_id)
        with self.app.app_context():
            placement = Placement(
                school_id=school_id,
                provider_id=provider_id,
                pupil_id=pupil_id,
                start_date=start or date(2026, 9, 7),
                status=PlacementStatus(status),
                legal_basis=legal_basis,
                timetable=list(TIMETABLE_SLOTS if timetable is None else timetable),
                headteacher_decision=HeadteacherDecision.AGREED,
                **fields,
            )
            db.session.add(placement)
            db.session.commit()
            return placement.id

    def incident(self, placement_id: uuid.UUID, *, severity: str = "medium", **fields) -> uuid.UUID:
        """A behaviour incident reported by the placement's provider about its pupil."""
        from datetime import UTC, datetime

        from shared.models import Incident, IncidentPupil, Placement

        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            reporter = fields.pop("reported_by_id", None) or self._someone(placement.provider_id)
            incident = Incident(
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                occurred_at=fields.pop("occurred_at", datetime(2026, 11, 30, 11, 0, tzinfo=UTC)),
                location=fields.pop("location", "Workshop"),
                incident_type=fields.pop("incident_type", "disruption"),
                severity=severity,
                description=fields.pop("description", "Threw a chair across the workshop."),
                actions_taken=fields.pop("actions_taken", "Time out with a mentor."),
                reported_by_id=reporter,
                **fields,
            )
            db.session.add(incident)
            db.session.flush()
            db.session.add(IncidentPupil(incident_id=incident.id, placement_id=placement.id))
            db.session.commit()
            return incident.id

    def api_token(self, provider_id: uuid.UUID, name: str = "Our MIS") -> tuple[uuid.UUID, str]:
        """(token id, the token itself) for a provider."""
        import hashlib
        import secrets

        from shared.models import ApiToken

        token = "app_" + secrets.token_urlsafe(32)
        with self.app.app_context():
            row = ApiToken(
                organisation_id=provider_id,
                name=name,
                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                prefix=token[:12],
                created_by_id=self._someone(provider_id),
            )
            db.session.add(row)
            db.session.commit()
            return row.id, token

    def review(self, placement_id: uuid.UUID, **fields) -> uuid.UUID:
        from datetime import date

        from shared.models import Placement, PlacementReview

        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            review = PlacementReview(
                placement_id=placement.id,
                school_id=placement.school_id,
                due_on=fields.pop("due_on", date(2026, 10, 19)),
                held_on=fields.pop("held_on", date(2026, 10, 19)),
                attendees=fields.pop("attendees", {"school": "Test AP lead", "provider": "Tutor"}),
                outcome=fields.pop("outcome", "continue"),
                recorded_by_id=fields.pop("recorded_by_id", None) or self._someone(placement.school_id),
                **fields,
            )
            db.session.add(review)
            db.session.commit()
            return review.id

    def visit(self, provider_id: uuid.UUID, *, school_id: uuid.UUID | None = None, **fields) -> uuid.UUID:
        from datetime import date

        from shared.models import SiteVisit

        with self.app.app_context():
            profile = link_of(provider_id, school_id)
            visit = SiteVisit(
                school_id=profile.school_id,
                provider_id=provider_id,
                visited_on=fields.pop("visited_on", date(2026, 11, 2)),
                findings=fields.pop("findings", "Calm, well-supervised workshop."),
                recorded_by_id=fields.pop("recorded_by_id", None) or self._someone(profile.school_id),
                **fields,
            )
            db.session.add(visit)
            db.session.commit()
            return visit.id

    def concern(self, placement_id: uuid.UUID, *, status: str = "sent", **fields) -> uuid.UUID:
        """A safeguarding concern about the placement's pupil, raised by the provider (sent to the school unless
        `status` says otherwise). Its text is encrypted like any other."""
        from datetime import UTC, datetime

        from shared.models import Concern, Placement

        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            concern = Concern(
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                placement_id=placement.id,
                pupil_id=placement.pupil_id,
                status=status,
                occurred_at=fields.pop("occurred_at", datetime(2026, 11, 30, 10, 30, tzinfo=UTC)),
                location=fields.pop("location", "Workshop"),
                category=fields.pop("category", "neglect"),
                what_happened=fields.pop("what_happened", "Came in hungry and without a coat for the third day."),
                actions_taken=fields.pop("actions_taken", "Gave breakfast; told the DSL."),
                raised_by_id=fields.pop("raised_by_id", None) or self._someone(placement.provider_id),
                sent_at=fields.pop(
                    "sent_at", datetime(2026, 11, 30, 10, 45, tzinfo=UTC) if status != "raised" else None
                ),
                **fields,
            )
            db.session.add(concern)
            db.session.commit()
            return concern.id

    def risk_assessment(
        self,
        placement_id: uuid.UUID,
        *,
        risk_text: str = "Seen with older youths near the station",
        signed: bool = False,
    ) -> uuid.UUID:
        """The placement's joint risk assessment, written by the school (its exploitation section), unsigned (or
        `signed` by both DSLs)."""
        import json
        from datetime import UTC, datetime

        from shared.models import Placement, RiskAssessment

        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            assessment = RiskAssessment(
                placement_id=placement.id,
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                pupil_id=placement.pupil_id,
                school_part=json.dumps({"exploitation": {"risk": risk_text, "measures": "Collected by taxi"}}),
            )
            if signed:
                for side in ("school", "provider"):
                    setattr(assessment, f"{side}_signed_at", datetime(2026, 9, 1, 10, 0, tzinfo=UTC))
                    setattr(assessment, f"{side}_signed_name", f"The {side} DSL")
            db.session.add(assessment)
            db.session.commit()
            return assessment.id

    def notice(self, placement_id: uuid.UUID, *, kind: str = "operation_encompass", **fields) -> uuid.UUID:
        """A safeguarding notice the school shared with the placement's provider about its pupil."""
        from shared.models import Notice, Placement

        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            notice = Notice(
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                pupil_id=placement.pupil_id,
                placement_id=placement.id,
                kind=kind,
                police_reference=fields.pop("police_reference", "OE/2026/1234"),
                incident_details=fields.pop("incident_details", "Domestic incident at home, Sunday night."),
                child_present=fields.pop("child_present", "yes"),
                provider_text=fields.pop("provider_text", "Be ready for a tired, unsettled day; offer a quiet space."),
                shared_by_id=fields.pop("shared_by_id", None) or self._someone(placement.school_id),
                **fields,
            )
            db.session.add(notice)
            db.session.commit()
            return notice.id

    def school_policy(self, school_id: uuid.UUID, *, version: int = 1) -> uuid.UUID:
        """A version of the school's child-protection policy, with its object stored (for downloads)."""
        import hashlib
        import io

        from shared.models import SchoolPolicy
        from shared.storage import LocalStorage, new_key

        content = b"%PDF-1.7\n% the school's child protection policy\n"
        key = new_key(school_id)
        LocalStorage(self.app.config["UPLOAD_FOLDER"]).save(
            key, io.BytesIO(content), content_type="application/pdf", download_name="Child protection policy.pdf"
        )
        with self.app.app_context():
            policy = SchoolPolicy(
                school_id=school_id,
                version=version,
                storage_key=key,
                display_name="Child protection policy.pdf",
                content_type="application/pdf",
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                virus_scanned=True,
                uploaded_by_id=self._someone(school_id),
            )
            db.session.add(policy)
            db.session.commit()
            return policy.id

    def safeguarding_file(self, concern_id: uuid.UUID, content: bytes = b"%PDF-1.7\n% body map\n") -> uuid.UUID:
        """An encrypted attachment of a concern, with its (encrypted) object stored."""
        import io

        from shared.crypto import encrypt_bytes, file_purpose
        from shared.models import Concern, SafeguardingFile
        from shared.storage import LocalStorage, new_key

        with self.app.app_context():
            concern = db.session.get(Concern, concern_id)
            row = SafeguardingFile(
                id=uuid.uuid4(),
                concern_id=concern.id,
                school_id=concern.school_id,
                storage_key=new_key(concern.school_id),
                key_id=self.app.extensions["keyring"].current,
                display_name="Body map.pdf",
                content_type="application/pdf",
                size_bytes=len(content),
                virus_scanned=True,
                uploaded_by_id=concern.raised_by_id,
            )
            LocalStorage(self.app.config["UPLOAD_FOLDER"]).save(
                row.storage_key,
                io.BytesIO(encrypt_bytes(content, file_purpose(row.id))),
                content_type="application/octet-stream",
                download_name="encrypted",
            )
            db.session.add(row)
            db.session.commit()
            return row.id

    def progress_photo(self, placement_id: uuid.UUID, *, pupil_voice: str = "I like the workshop") -> uuid.UUID:
        """A progress report for the placement's first half-term (or the term) with one photo of work, stored
        through the upload pipeline; the photo's id."""
        import io

        from PIL import Image

        from shared.models import Placement, ProgressPhoto
        from shared.services.placements import progress

        with self.app.app_context():
            provider_id = db.session.get(Placement, placement_id).provider_id
        writer = self.user(provider_id, ["provider_staff"])
        png = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 120, 40)).save(png, format="PNG")
        with self.app.app_context():
            from shared.models import User

            placement = db.session.get(Placement, placement_id)
            period = progress.periods_of(placement, placement.start_date)[0]
            report = progress.write_report(
                placement,
                period,
                [progress.TargetProgress(t, "progressing", "Steady") for t in progress.targets_of(placement)],
                units_achieved=None,
                pupil_voice=pupil_voice,
                by=db.session.get(User, writer.id),
                photos=[progress.Photo(io.BytesIO(png.getvalue()), "work.png")],
            )
            return db.session.scalars(db.select(ProgressPhoto.id).where(ProgressPhoto.report_id == report.id)).one()

    def agreement(
        self,
        provider_id: uuid.UUID,
        *,
        placement_id: uuid.UUID | None = None,
        school_id: uuid.UUID | None = None,
        **fields,
    ) -> uuid.UUID:
        """The provider's service level agreement with its (first, or the named) school (from 1 September 2026, the
        model's default terms), or with `placement_id` that placement's own terms."""
        from datetime import date

        from shared.models import ServiceAgreement

        with self.app.app_context():
            profile = link_of(provider_id, school_id)
            author = self._someone(profile.school_id)
            agreement = ServiceAgreement(
                school_id=profile.school_id,
                provider_id=provider_id,
                placement_id=placement_id,
                starts_on=fields.pop("starts_on", date(2026, 9, 1)),
                created_by_id=author,
                updated_by_id=author,
                **fields,
            )
            db.session.add(agreement)
            db.session.commit()
            return agreement.id

    def breach(self, provider_id: uuid.UUID, term_key: str = "attendance", **fields) -> uuid.UUID:
        """An open breach of the provider's agreement (a term rated red) for the autumn's second half-term."""
        from datetime import date

        from shared.models import ComplianceBreach

        with self.app.app_context():
            profile = link_of(provider_id)
            breach = ComplianceBreach(
                school_id=profile.school_id,
                provider_id=provider_id,
                term_key=term_key,
                period_start=fields.pop("period_start", date(2026, 11, 2)),
                period_end=fields.pop("period_end", date(2026, 12, 18)),
                period_name=fields.pop("period_name", "Autumn 2026, second half"),
                percent=fields.pop("percent", 40.0),
                summary=fields.pop("summary", "4 of 10 sessions marked on time"),
                **fields,
            )
            db.session.add(breach)
            db.session.commit()
            return breach.id

    def agreement_document(
        self, provider_id: uuid.UUID, content: bytes = b"%PDF-1.7\n% the signed agreement\n", **fields
    ) -> uuid.UUID:
        """A signed copy of the provider's agreement (made if it has none), with its object stored (for downloads)."""
        import hashlib
        import io

        from shared.models import AgreementDocument, ServiceAgreement
        from shared.storage import LocalStorage, new_key

        with self.app.app_context():
            agreement = (
                db.session.query(ServiceAgreement)
                .filter_by(provider_id=provider_id, placement_id=None)
                .order_by(ServiceAgreement.created_at.desc())
                .first()
            )
            agreement_id = agreement.id if agreement else None
        agreement_id = agreement_id or self.agreement(provider_id)
        with self.app.app_context():
            agreement = db.session.get(ServiceAgreement, agreement_id)
            key = new_key(agreement.school_id)
            display_name = fields.pop("display_name", "Signed agreement.pdf")
            LocalStorage(self.app.config["UPLOAD_FOLDER"]).save(
                key, io.BytesIO(content), content_type="application/pdf", download_name=display_name
            )
            document = AgreementDocument(
                agreement_id=agreement.id,
                school_id=agreement.school_id,
                provider_id=provider_id,
                storage_key=key,
                display_name=display_name,
                content_type="application/pdf",
                size_bytes=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                virus_scanned=True,
                uploaded_by_id=self._someone(agreement.school_id),
                **fields,
            )
            db.session.add(document)
            db.session.commit()
            return document.id

    def mark(
        self, placement_id: uuid.UUID, day=None, session: str = "AM", *, submitted_late: bool = False
    ) -> uuid.UUID:
        """A provider's 'present' mark of the placement's session (7 September 2026 unless a day is given), sent
        after its deadline if `submitted_late`."""
        from datetime import date

        from shared.models import AttendanceMark, Placement

        with self.app.app_context():
            placement = db.session.get(Placement, placement_id)
            mark = AttendanceMark(
                placement_id=placement.id,
                school_id=placement.school_id,
                provider_id=placement.provider_id,
                pupil_id=placement.pupil_id,
                day=day or date(2026, 9, 7),
                session=session,
                kind="present",
                code="B",
                submitted_late=submitted_late,
            )
            db.session.add(mark)
            db.session.commit()
            return mark.id

    def _someone(self, org_id: uuid.UUID) -> uuid.UUID:
        """Any user of the organisation (one is made if it has none), for rows that need an author."""
        from shared.models import Membership

        membership = db.session.query(Membership).filter_by(organisation_id=org_id).first()
        if membership is not None:
            return membership.user_id
        org = db.session.get(Organisation, org_id)
        role = "ap_lead" if org.kind == OrganisationKind.SCHOOL else "provider_manager"
        user = accounts.create_user(
            org,
            email=f"author-{uuid.uuid4().hex[:6]}@{org.kind.value}.example",
            name="Test author",
            roles=[role],
            password=TEST_PASSWORD,
        )
        db.session.flush()
        return user.id

    def user(
        self,
        org_id: uuid.UUID,
        roles: list[str],
        *,
        email: str | None = None,
        mfa: bool | None = None,
        password: str = TEST_PASSWORD,
    ) -> Person:
        with self.app.app_context():
            org = db.session.get(Organisation, org_id)
            email = email or f"{'-'.join(roles)}-{uuid.uuid4().hex[:6]}@{org.kind.value.replace('_', '-')}.example"
            user = accounts.create_user(org, email=email, name=f"Test {roles[0]}", roles=roles, password=password)
            from shared.roles import mfa_required

            secret = None
            if mfa if mfa is not None else mfa_required(org.kind, set(roles)):
                secret = pyotp.random_base32()
                user.totp_secret = secret
                user.mfa_enabled_at = utcnow()
            db.session.commit()
            return Person(user.id, user.email, password, secret, org_id, roles)


def link_of(provider_id: uuid.UUID, school_id: uuid.UUID | None = None) -> SchoolProvider:
    """Inside an app context: the provider's relationship with the school (its first when not named)."""
    from sqlalchemy import select

    query = select(SchoolProvider).where(SchoolProvider.provider_id == provider_id)
    if school_id is not None:
        query = query.where(SchoolProvider.school_id == school_id)
    return db.session.scalars(query.order_by(SchoolProvider.created_at)).first()
