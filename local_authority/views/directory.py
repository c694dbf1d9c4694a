"""The local authority's directory of providers its schools use: search by area, type and what they offer; each
provider's evidence and who verified it; verifying evidence its schools may rely on; recording a quality-assurance
visit. Only providers the LA's schools use: any other is a 404. Never safeguarding content."""

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from local_authority import bp
from local_authority.forms import RejectForm, VisitForm
from shared.auth.access import access, current_organisation
from shared.auth.tenancy import document_of_my_areas_providers_or_404, provider_of_my_areas_schools_or_404
from shared.clock import local_now
from shared.evidence_catalogue import BY_CODE
from shared.evidence_forms import VerifyForm, verification_from, verify_form_for
from shared.forms import choices_from
from shared.models import EvidenceDocument
from shared.roles import LA_ROLES
from shared.services.accounts import directory as people
from shared.services.errors import RuleBroken
from shared.services.evidence import documents as evidence
from shared.services.evidence.status import evidence_lines
from shared.services.local_authority import directory as provider_directory
from shared.services.placements import incidents, reviews
from shared.services.placements.reviews import VisitRecord
from shared.services.providers import standards
from shared.standards_forms import quality_record
from shared.uploads.downloads import audited_download
from shared.web import apply

OFFICERS = set(LA_ROLES)


@bp.get("/directory")
@access(roles=OFFICERS)
def directory():
    la = current_organisation()
    search = provider_directory.Search.of(request.args.to_dict())
    page = provider_directory.directory(la.id, search)
    return render_template(
        "local_authority/directory/search.html",
        organisation=la,
        search=search,
        page=page,
        pagination=_pagination(search, page),
        types=provider_directory.type_choices(),
    )


def _pagination(search: provider_directory.Search, page: provider_directory.Page) -> dict | None:
    """GOV.UK pagination's parameters: the first, the last and the pages either side of this one (None for one)."""
    if page.pages == 1:
        return None

    def href(number: int) -> str:
        return url_for("local_authority.directory", **search.args(number))

    items: list[dict] = []
    for number in range(1, page.pages + 1):
        if number in (1, page.pages) or abs(number - page.number) <= 1:
            items.append({"number": number, "href": href(number), "current": number == page.number})
        elif items and not items[-1].get("ellipsis"):
            items.append({"ellipsis": True})
    return {
        "previous": {"href": href(page.number - 1)} if page.number > 1 else None,
        "next": {"href": href(page.number + 1)} if page.number < page.pages else None,
        "items": items,
        "landmarkLabel": "Pages of the directory",
    }


def _provider_page(provider_id: uuid.UUID):
    la = current_organisation()
    profile = provider_of_my_areas_schools_or_404(provider_id)
    entry = provider_directory.entry(la.id, provider_id)
    if entry is None:
        abort(404)
    lines = evidence_lines(profile)
    verifiers = {line.document.reviewed_by_organisation_id for line in lines if line.document is not None}
    visits = reviews.visits_seen_by_local_authority(la.id, provider_id)
    self_assessment = standards.latest_self_assessment(provider_id)
    return render_template(
        "local_authority/directory/provider.html",
        entry=entry,
        profile=profile,
        lines=lines,
        names=people.organisation_names((verifiers - {None}) | {visit.school_id for visit in visits}),
        visits=visits,
        sites=reviews.site_names(v.site_id for v in visits if v.site_id),
        la=la,
        self_assessment=self_assessment,
        self_assessed=standards.assessed_standards(self_assessment) if self_assessment else [],
        self_assessed_by=incidents.names_of([self_assessment.submitted_by_id]) if self_assessment else {},
    )


@bp.get("/directory/<uuid:provider_id>")
@access(roles=OFFICERS)
def directory_provider(provider_id: uuid.UUID):
    return _provider_page(provider_id)


# --- verifying evidence the LA's schools may rely on ---------------------------------------------------------------


def _review_page(document: EvidenceDocument, verify_form: VerifyForm, reject_form: RejectForm):
    kind = BY_CODE[document.evidence_type]
    return render_template(
        "local_authority/directory/review.html",
        document=document,
        kind=kind,
        provider=people.organisation(document.organisation_id),
        verify_form=verify_form,
        reject_form=reject_form,
        can_verify=current_user.has_role(*kind.verifier_roles),
        form=verify_form if verify_form.errors else reject_form,
        reviewer=people.organisation(document.reviewed_by_organisation_id)
        if document.reviewed_by_organisation_id
        else None,
        local=local_now,
    )


@bp.get("/evidence/<uuid:document_id>")
@access(roles=OFFICERS)
def review_document(document_id: uuid.UUID):
    document = document_of_my_areas_providers_or_404(document_id)
    return _review_page(document, verify_form_for(document), RejectForm(prefix="reject"))


@bp.post("/evidence/<uuid:document_id>/verify")
@access(roles=OFFICERS)
def verify_document(document_id: uuid.UUID):
    document = document_of_my_areas_providers_or_404(document_id)
    form = verify_form_for(document)
    if form.validate_on_submit() and apply(
        form,
        lambda: evidence.verify(
            document,
            verification_from(form),
            by=current_user,
            roles=current_user.roles,
        ),
        field="checklist",
    ):
        flash(f"{BY_CODE[document.evidence_type].name} verified. Schools relying on your verification can use it.")
        return redirect(url_for("local_authority.directory_provider", provider_id=document.organisation_id))
    return _review_page(document, form, RejectForm(prefix="reject"))


def _reject(document: EvidenceDocument, reason: str) -> None:
    """The LA decides only on the types it may verify: the child protection policy is each school DSL's."""
    kind = BY_CODE[document.evidence_type]
    if not current_user.has_role(*kind.verifier_roles):
        raise RuleBroken(f"Each school's designated safeguarding lead decides on the {kind.name.lower()}")
    evidence.reject(document, reason, by=current_user)


@bp.post("/evidence/<uuid:document_id>/reject")
@access(roles=OFFICERS)
def reject_document(document_id: uuid.UUID):
    document = document_of_my_areas_providers_or_404(document_id)
    form = RejectForm(prefix="reject")
    if form.validate_on_submit() and apply(form, lambda: _reject(document, form.reason.data), field="reason"):
        flash(f"{BY_CODE[document.evidence_type].name} rejected. The provider can see your reason.")
        return redirect(url_for("local_authority.directory_provider", provider_id=document.organisation_id))
    return _review_page(document, verify_form_for(document), form)


@bp.get("/evidence/<uuid:document_id>/download")
@access(roles=OFFICERS)
def download_document(document_id: uuid.UUID):
    document = document_of_my_areas_providers_or_404(document_id)
    return audited_download(document, "evidence.downloaded", organisation=document.organisation_id)


@bp.get("/evidence/<uuid:document_id>/files/<uuid:evidence_file_id>/download")
@access(roles=OFFICERS)
def download_document_file(document_id: uuid.UUID, evidence_file_id: uuid.UUID):
    document = document_of_my_areas_providers_or_404(document_id)
    extra = next((f for f in document.extra_files if f.id == evidence_file_id), None)
    if extra is None:
        abort(404)
    return audited_download(extra, "evidence.downloaded", organisation=document.organisation_id)


# --- quality-assurance visits ------------------------------------------------------------------------------------


@bp.route("/directory/<uuid:provider_id>/visits/new", methods=["GET", "POST"])
@access(roles=OFFICERS)
def record_visit(provider_id: uuid.UUID):
    profile = provider_of_my_areas_schools_or_404(provider_id)
    la = current_organisation()
    sites = reviews.sites_of_provider(provider_id)
    form = VisitForm()
    form.site_id.choices = choices_from({str(s.id): s.name for s in sites})
    if request.method == "GET":
        form.visited_on.data = local_now().date()
        if len(sites) == 1:
            form.site_id.data = str(sites[0].id)
    if form.validate_on_submit():
        details = VisitRecord(
            visited_on=form.visited_on.data,
            site_id=form.site_id.data,
            placement_ids=[],
            findings=form.findings.data,
            actions=form.actions.data,
            shared=True,
            quality=quality_record(form),
        )
        if apply(form, lambda: reviews.record_visit(la, provider_id, details, by=current_user), field="findings"):
            flash(f"Visit to {profile.organisation.name} recorded. Your schools using it can see it.")
            return redirect(url_for("local_authority.directory_provider", provider_id=provider_id))
    return render_template(
        "local_authority/directory/new_visit.html", form=form, provider=profile.organisation, has_sites=bool(sites)
    )
