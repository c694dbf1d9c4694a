"""Annual re-approval (issue 15): providers approved 11 months ago or more are due; what changed since that approval
(counts, concerns only for a DSL); re-approving records a new approval with the checklist, the provider approved."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from shared.extensions import db
from shared.models import ApprovalDecision, AuditEvent, ProviderStatus, SchoolProvider, User
from shared.roles import AP_LEAD, DSL
from shared.services.errors import RuleBroken
from shared.services.providers import reapproval
from shared.services.providers.approval import ChecklistItem
from tests.support.client import Browser
from tests.test_attention import NOW, items

WHEN = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)


def _approved(world, school, provider, decided_at: datetime, decision: str = "approved") -> None:
    with world.app.app_context():
        db.session.add(
            ApprovalDecision(
                organisation_id=provider,
                school_id=school,
                decision=decision,
                notes="All checked.",
                checklist=[],
                decided_by_id=world._someone(school),
                decided_at=decided_at,
            )
        )
        db.session.commit()


def _link(school, provider) -> SchoolProvider:
    return db.session.scalars(select(SchoolProvider).filter_by(school_id=school, provider_id=provider)).one()


@pytest.fixture
def school(world):
    return world.school("Demo School")


def test_due_eleven_months_after_approval_the_day_clamped_to_the_month():
    assert reapproval.due_since(date(2026, 11, 30)) == date(2025, 12, 30)
    assert reapproval.due_since(date(2027, 1, 31)) == date(2026, 2, 28)
    assert reapproval.due_since(date(2026, 3, 15)) == date(2025, 4, 15)


def test_due_by_the_schools_latest_approval_of_an_approved_provider(app, world, school):
    due = world.provider(school, "Due Provider", ProviderStatus.APPROVED)
    _approved(world, school, due, datetime(2025, 12, 30, 12, 0, tzinfo=UTC))  # exactly 11 months
    recent = world.provider(school, "Recent Provider", ProviderStatus.APPROVED)
    _approved(world, school, recent, datetime(2025, 12, 31, 12, 0, tzinfo=UTC))
    again = world.provider(school, "Approved Again", ProviderStatus.APPROVED)
    _approved(world, school, again, datetime(2025, 6, 1, tzinfo=UTC))
    _approved(world, school, again, datetime(2026, 6, 1, tzinfo=UTC))
    suspended = world.provider(school, "Suspended Provider", ProviderStatus.SUSPENDED)
    _approved(world, school, suspended, datetime(2025, 6, 1, tzinfo=UTC))
    returned = world.provider(school, "Returned Later", ProviderStatus.APPROVED)
    _approved(world, school, returned, datetime(2025, 1, 1, tzinfo=UTC))
    _approved(world, school, returned, datetime(2026, 10, 1, tzinfo=UTC), decision="returned")  # not an approval
    other = world.school("Other School")
    with app.app_context():
        assert [d.name for d in reapproval.due_reapproval(school, WHEN)] == ["Returned Later", "Due Provider"]
        assert reapproval.due_reapproval(other, WHEN) == []
        assert reapproval.is_due(_link(school, due), WHEN) and not reapproval.is_due(_link(school, recent), WHEN)


def test_what_changed_since_the_approval_counts_concerns_only_for_a_dsl(app, world, school):
    provider = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)
    since = datetime(2025, 12, 1, tzinfo=UTC)
    with freeze_time("2025-11-01"):
        world.document(provider, "behaviour_policy")  # before the approval: not a change
        world.staff_member(provider, "Old Hand")
    world.document(provider, "safeguarding_policy")
    world.staff_member(provider, "New Starter", dbs="001234567892")
    left = world.staff_member(provider, "Gone Away", dbs="001234567893", removed_at=datetime(2026, 3, 1, tzinfo=UTC))
    assert left
    placement = world.placement(school, provider)
    world.incident(placement, occurred_at=datetime(2026, 2, 1, tzinfo=UTC))
    world.incident(placement, occurred_at=datetime(2025, 11, 1, tzinfo=UTC))  # before
    world.concern(placement, sent_at=datetime(2026, 5, 1, tzinfo=UTC))
    world.agreement(provider, school_id=school)
    world.breach(provider)
    with app.app_context():
        changes = reapproval.changes_since(_link(school, provider), since, with_concerns=True)
        assert len(changes.evidence) == 1 and changes.evidence[0].endswith("(version 1)")
        assert (changes.staff_added, changes.staff_removed, changes.incidents, changes.concerns) == (2, 1, 1, 1)
        assert (changes.agreements_changed, changes.breaches) == (1, 1)
        assert reapproval.changes_since(_link(school, provider), since, with_concerns=False).concerns is None
        quiet = reapproval.changes_since(_link(school, provider), datetime(2027, 1, 1, tzinfo=UTC), with_concerns=True)
        assert quiet.nothing


def _all_done(monkeypatch):
    done = [ChecklistItem("Organisation details", True, "", "organisation"), ChecklistItem("Staff list", True, "2")]
    monkeypatch.setattr(reapproval, "approval_checklist", lambda link: done)


def test_reapproving_records_an_approval_with_the_checklist_and_keeps_the_provider_approved(
    app, world, school, monkeypatch
):
    provider = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)
    _approved(world, school, provider, datetime(2025, 12, 1, tzinfo=UTC))
    lead = world.user(school, [AP_LEAD])
    with app.app_context(), freeze_time(NOW):
        by = db.session.get(User, lead.id)
        with pytest.raises(RuleBroken, match="Every item on the checklist must be done before re-approval"):
            reapproval.reapprove(_link(school, provider), notes="Looked again.", by=by)
        _all_done(monkeypatch)
        with pytest.raises(RuleBroken, match="Write notes for the record"):
            reapproval.reapprove(_link(school, provider), notes="  ", by=by)
        decision = reapproval.reapprove(_link(school, provider), notes="Visited in November; all in order.", by=by)
        assert decision.decision == "approved" and decision.checklist[0]["label"] == "Organisation details"
        assert _link(school, provider).status == ProviderStatus.APPROVED
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "provider.decision")).one()
        assert event.details == {"decision": "reapproved"} and event.object_id == str(decision.id)
        assert not reapproval.is_due(_link(school, provider), WHEN)
        assert reapproval.due_reapproval(school, WHEN) == []
        _link(school, provider).status = ProviderStatus.SUSPENDED
        with pytest.raises(RuleBroken, match="Only an approved provider can be re-approved"):
            reapproval.reapprove(_link(school, provider), notes="Again.", by=by)


def test_the_ap_leads_list_links_to_the_provider_due_or_the_list_of_them(app, world, school, new_browser):
    first = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)
    _approved(world, school, first, datetime(2025, 12, 1, tzinfo=UTC))
    lead = world.user(school, [AP_LEAD])
    assert "1 provider is due re-approval: approved 11 months ago or more" in items(new_browser, lead)
    second = world.provider(school, "Riverside Studio", ProviderStatus.APPROVED)
    _approved(world, school, second, datetime(2025, 10, 1, tzinfo=UTC))
    assert "2 providers are due re-approval: approved 11 months ago or more" in items(new_browser, lead)
    assert not any("re-approval" in t for t in items(new_browser, world.user(school, [DSL])))


def _get(app, person, url: str) -> str:
    browser = Browser(app.test_client())
    with freeze_time(NOW):
        browser.sign_in(person)
        response = browser.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_page_shows_what_changed_and_concerns_only_to_an_ap_lead_who_is_a_dsl(app, world, school):
    provider = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)
    _approved(world, school, provider, datetime(2025, 12, 1, tzinfo=UTC))
    world.concern(world.placement(school, provider), sent_at=datetime(2026, 5, 1, tzinfo=UTC))
    url = f"/school/providers/{provider}/re-approval"
    page = _get(app, world.user(school, [AP_LEAD]), url)
    assert "Your school last approved Hill Farm Learning on 1 December 2025." in page
    assert "It is due re-approval." in page
    assert "What changed since that approval" in page and "Re-approve for another year" in page
    assert "concern" not in page.lower()
    both = _get(app, world.user(school, [AP_LEAD, DSL]), url)
    assert "Safeguarding concerns sent to your school" in both
    due_list = _get(app, world.user(school, [AP_LEAD]), "/school/providers/re-approval")
    assert "Hill Farm Learning" in due_list and "1 December 2025" in due_list


def test_the_provider_page_leads_the_ap_lead_to_re_approval_when_it_is_due(app, world, school):
    due = world.provider(school, "Hill Farm Learning", ProviderStatus.APPROVED)
    _approved(world, school, due, datetime(2025, 12, 1, tzinfo=UTC))
    recent = world.provider(school, "River Tutors", ProviderStatus.APPROVED)
    _approved(world, school, recent, datetime(2026, 9, 1, tzinfo=UTC))
    assert f'href="/school/providers/{due}/re-approval"' in _get(
        app, world.user(school, [AP_LEAD]), f"/school/providers/{due}"
    )
    assert "re-approval" not in _get(app, world.user(school, [AP_LEAD]), f"/school/providers/{recent}")
    assert "re-approval" not in _get(app, world.user(school, [DSL]), f"/school/providers/{due}")
