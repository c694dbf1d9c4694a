"""Who may use each endpoint. The spec the access tests hold the app to: a new route needs a new row.

PUBLIC: anyone, signed in or not. SIGNED_IN: anyone signed in, either side.
("school", roles) / ("portal", roles): signed in on that side with one of the roles.
("portal", roles, HIDDEN): the same, but others on that side get a 404 (they must not learn it exists).
"""

from shared.roles import (
    AP_LEAD,
    ATTENDANCE_LEAD,
    DSL,
    GOVERNOR,
    HEADTEACHER,
    PROVIDER_DSL,
    PROVIDER_MANAGER,
    PROVIDER_ROLES,
    SCHOOL_ADMIN,
    SCHOOL_ROLES,
    SENDCO,
    SLT,
)

PUBLIC = "public"
# A third element: roles on that side without access get a 404, not a 403, so they cannot tell the page exists.
HIDDEN = "hidden"
SIGNED_IN = "signed_in"
API_TOKEN = "api_token"  # the JSON API: a provider's API token, not a signed-in role (tests/test_api.py)
ALL_SCHOOL = frozenset(SCHOOL_ROLES)
ALL_PROVIDER = frozenset(PROVIDER_ROLES)
PROVIDER_READERS = frozenset({AP_LEAD, HEADTEACHER, DSL, SLT, SENDCO, ATTENDANCE_LEAD})

ACCESS: dict[str, object] = {
    "static": PUBLIC,
    "healthz": PUBLIC,
    "auth.index": PUBLIC,
    "auth.sign_in": PUBLIC,
    "auth.mfa_challenge": PUBLIC,  # needs a pending sign-in (password already accepted)
    "auth.mfa_setup": PUBLIC,  # pending sign-in, or signed in
    "auth.mfa_confirm": SIGNED_IN,  # the security code again, before safeguarding pages
    "auth.sign_out": PUBLIC,
    "auth.invitation": PUBLIC,  # the signed token is the credential
    "auth.password_reset_request": PUBLIC,
    "auth.password_reset": PUBLIC,  # the signed token is the credential
    "auth.account": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "auth.reset_mfa": SIGNED_IN,
    "auth.end_other_sessions": SIGNED_IN,
    "school_admin.home": ("school", ALL_SCHOOL),
    "school_admin.staff": ("school", frozenset({SCHOOL_ADMIN})),
    "school_admin.invite_staff": ("school", frozenset({SCHOOL_ADMIN})),
    "school_admin.staff_roles": ("school", frozenset({SCHOOL_ADMIN})),
    "school_admin.deactivate_staff": ("school", frozenset({SCHOOL_ADMIN})),
    "school_admin.providers": ("school", PROVIDER_READERS),
    "school_admin.invite_provider": ("school", frozenset({AP_LEAD})),
    "school_admin.provider_page": ("school", PROVIDER_READERS),
    "school_admin.decide_provider": ("school", frozenset({AP_LEAD})),
    "school_admin.provider_deadlines": ("school", frozenset({AP_LEAD})),
    "school_admin.provider_agreement": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT, DSL})),
    "school_admin.compliance_overview": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT})),
    "school_admin.provider_compliance": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT})),
    "school_admin.placement_compliance": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT})),
    "school_admin.compliance_breaches_list": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT})),
    "school_admin.resolve_compliance_breach": ("school", frozenset({AP_LEAD})),
    "school_admin.edit_provider_agreement": ("school", frozenset({AP_LEAD})),
    "school_admin.upload_signed_agreement": ("school", frozenset({AP_LEAD})),
    "school_admin.download_signed_agreement": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT, DSL})),
    "school_admin.placement_agreement": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT, DSL})),
    "school_admin.edit_placement_agreement": ("school", frozenset({AP_LEAD})),
    "school_admin.remove_placement_agreement": ("school", frozenset({AP_LEAD})),
    "school_admin.school_policies": ("school", frozenset({HEADTEACHER, AP_LEAD, DSL})),  # issue 5: policies
    "school_admin.upload_school_policy": ("school", frozenset({DSL})),
    "school_admin.download_school_policy": ("school", frozenset({HEADTEACHER, AP_LEAD, DSL})),
    "school_admin.assess_provider_policy": ("school", frozenset({DSL})),
    "portal.school_policy": ("portal", frozenset({PROVIDER_MANAGER, PROVIDER_DSL})),  # issue 5: policies
    "portal.confirm_school_policy": ("portal", frozenset({PROVIDER_DSL})),
    "portal.download_school_policy": ("portal", frozenset({PROVIDER_MANAGER, PROVIDER_DSL})),
    "school_admin.verification_queue": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.review_document": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.verify_document": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.reject_document": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.download_document": ("school", frozenset({AP_LEAD, DSL, HEADTEACHER, SLT})),
    # Pupils and placements (issue 4): readers see records; AP lead, SENDCO and DSL keep them.
    "school_admin.pupils": ("school", frozenset({AP_LEAD, SENDCO, DSL, HEADTEACHER, ATTENDANCE_LEAD, SLT})),
    "school_admin.new_pupil": ("school", frozenset({AP_LEAD, SENDCO, DSL})),
    "school_admin.pupil_page": ("school", frozenset({AP_LEAD, SENDCO, DSL, HEADTEACHER, ATTENDANCE_LEAD, SLT})),
    # A pupil's safeguarding chronology (issue 5): the school's DSLs only.
    "school_admin.safeguarding_access_log": ("school", frozenset({DSL})),
    "school_admin.pupil_chronology": ("school", frozenset({DSL})),
    "school_admin.pupil_chronology_csv": ("school", frozenset({DSL})),
    "school_admin.pupil_chronology_pdf": ("school", frozenset({DSL})),
    "school_admin.edit_pupil": ("school", frozenset({AP_LEAD, SENDCO, DSL})),
    "school_admin.import_pupils": ("school", frozenset({AP_LEAD, SENDCO, DSL})),
    "school_admin.pupil_import_example": ("school", frozenset({AP_LEAD, SENDCO, DSL})),
    "school_admin.new_placement": ("school", frozenset({AP_LEAD, SENDCO, DSL})),
    "school_admin.placements": ("school", frozenset({AP_LEAD, SENDCO, DSL, HEADTEACHER, ATTENDANCE_LEAD, SLT})),
    "school_admin.placement_page": ("school", frozenset({AP_LEAD, SENDCO, DSL, HEADTEACHER, ATTENDANCE_LEAD, SLT})),
    "school_admin.placement_decision": ("school", frozenset({HEADTEACHER})),
    "school_admin.edit_placement": ("school", frozenset({AP_LEAD, SENDCO, DSL})),
    "school_admin.placement_summary": ("school", frozenset({SENDCO, DSL})),
    "school_admin.upload_risk_assessment": ("school", frozenset({AP_LEAD, DSL, SENDCO})),
    "school_admin.download_risk_assessment": (
        "school",
        frozenset({AP_LEAD, SENDCO, DSL, HEADTEACHER, ATTENDANCE_LEAD, SLT}),
    ),
    "school_admin.end_placement": ("school", frozenset({AP_LEAD})),
    "school_admin.attendance_today": ("school", frozenset({ATTENDANCE_LEAD, HEADTEACHER, SLT, AP_LEAD, DSL})),
    "school_admin.decide_absence": ("school", frozenset({ATTENDANCE_LEAD, HEADTEACHER})),
    "school_admin.attendance_pupil": ("school", frozenset({ATTENDANCE_LEAD, HEADTEACHER, SLT, AP_LEAD, DSL})),
    "school_admin.attendance_export": ("school", frozenset({ATTENDANCE_LEAD, HEADTEACHER, SLT, AP_LEAD, DSL})),
    "school_admin.attendance_percentages": ("school", frozenset({ATTENDANCE_LEAD, HEADTEACHER, SLT, AP_LEAD, DSL})),
    # Reports (issue 6): the inspection pack names pupils and the census file holds UPNs, so leaders and DSLs only.
    "school_admin.reports_index": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL})),
    "school_admin.inspection_pack": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL})),
    "school_admin.inspection_pack_csv": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL})),
    "school_admin.census": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL})),
    "school_admin.census_csv": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL})),
    # The governors' report holds no pupil-level data: the readers of the other reports, and the governors.
    "school_admin.governors_report": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL, GOVERNOR})),
    "school_admin.governors_report_pdf": ("school", frozenset({HEADTEACHER, AP_LEAD, SLT, DSL, GOVERNOR})),
    # The AP budget: the headteacher owns it; SLT and the AP lead read it.
    "school_admin.ap_budget": ("school", frozenset({HEADTEACHER, SLT, AP_LEAD, GOVERNOR})),
    "school_admin.save_ap_budget": ("school", frozenset({HEADTEACHER})),
    "school_admin.school_calendar": ("school", ALL_SCHOOL),
    "school_admin.add_school_term": ("school", frozenset({SCHOOL_ADMIN, ATTENDANCE_LEAD, HEADTEACHER})),
    "school_admin.add_inset_day": ("school", frozenset({SCHOOL_ADMIN, ATTENDANCE_LEAD, HEADTEACHER})),
    "school_admin.remove_inset_day": ("school", frozenset({SCHOOL_ADMIN, ATTENDANCE_LEAD, HEADTEACHER})),
    # Incidents, reviews and visits (issue 4).
    "school_admin.incidents_list": ("school", frozenset({AP_LEAD, DSL, HEADTEACHER, SLT, SENDCO, ATTENDANCE_LEAD})),
    "school_admin.incident_detail": ("school", frozenset({AP_LEAD, DSL, HEADTEACHER, SLT, SENDCO, ATTENDANCE_LEAD})),
    "school_admin.acknowledge_incident": ("school", frozenset({AP_LEAD, DSL, HEADTEACHER, SLT})),
    "school_admin.record_course_of_action": ("school", frozenset({AP_LEAD})),
    "school_admin.reviews_list": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT, SENDCO, DSL})),
    "school_admin.review_detail": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT, SENDCO, DSL})),
    "school_admin.record_review": ("school", frozenset({AP_LEAD, SENDCO})),
    "school_admin.visits_list": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT})),
    "school_admin.visit_detail": ("school", frozenset({AP_LEAD, HEADTEACHER, SLT})),
    "school_admin.record_visit": ("school", frozenset({AP_LEAD})),
    # Safeguarding concerns (issue 5): the DSLs act; the headteacher reads escalated ones only.
    "school_admin.concerns_queue": ("school", frozenset({DSL, HEADTEACHER})),
    "school_admin.concern_detail": ("school", frozenset({DSL, HEADTEACHER})),
    "school_admin.concern_file": ("school", frozenset({DSL, HEADTEACHER})),
    "school_admin.acknowledge_concern": ("school", frozenset({DSL})),
    "school_admin.record_concern_discussion": ("school", frozenset({DSL})),
    "school_admin.record_concern_decision": ("school", frozenset({DSL})),
    "school_admin.record_concern_referral": ("school", frozenset({DSL})),
    "school_admin.share_concern_back": ("school", frozenset({DSL})),
    "school_admin.close_concern": ("school", frozenset({DSL})),
    "portal.home": ("portal", ALL_PROVIDER),
    "portal.agreement": ("portal", frozenset({PROVIDER_MANAGER, PROVIDER_DSL})),
    "portal.compliance_page": ("portal", frozenset({PROVIDER_MANAGER, PROVIDER_DSL})),
    "portal.download_signed_agreement": ("portal", frozenset({PROVIDER_MANAGER, PROVIDER_DSL})),
    "portal.users": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.invite_user": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.user_detail": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.deactivate_user": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.onboarding_tasks": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.organisation_details": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.sites": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.remove_site": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.contacts": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.staff_list_page": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.remove_staff_member": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.status_check": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.confirmation": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.submit_onboarding": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.documents": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.upload_document": ("portal", frozenset({PROVIDER_MANAGER})),
    "portal.download_document": ("portal", frozenset({PROVIDER_MANAGER, PROVIDER_DSL})),
    "portal.pupils": ("portal", ALL_PROVIDER),
    "portal.pupil_page": ("portal", ALL_PROVIDER),
    "portal.attendance_today": ("portal", ALL_PROVIDER),
    "portal.attendance_history": ("portal", ALL_PROVIDER),
    "portal.attendance_week": ("portal", ALL_PROVIDER),
    "portal.attendance_upload": ("portal", ALL_PROVIDER),
    "portal.attendance_template": ("portal", ALL_PROVIDER),
    "portal.api_tokens_page": ("portal", frozenset({PROVIDER_MANAGER})),  # issue 4: the attendance API
    "portal.revoke_api_token": ("portal", frozenset({PROVIDER_MANAGER})),
    "api.openapi": PUBLIC,
    "api.sessions": API_TOKEN,
    "api.list_marks": API_TOKEN,
    "api.post_marks": API_TOKEN,
    "portal.incidents_list": ("portal", ALL_PROVIDER),  # issue 4: every provider user reports incidents
    "portal.report_incident": ("portal", ALL_PROVIDER),
    "portal.incident_detail": ("portal", ALL_PROVIDER),
    # Safeguarding concerns (issue 5): staff and the provider DSL raise; only the provider DSL reads.
    "portal.raise_concern": ("portal", ALL_PROVIDER),
    "portal.concern_confirmation": ("portal", ALL_PROVIDER),
    "portal.concerns_list": ("portal", frozenset({PROVIDER_DSL})),
    "portal.concern_detail": ("portal", frozenset({PROVIDER_DSL})),
    "portal.add_to_concern": ("portal", frozenset({PROVIDER_DSL})),
    "portal.send_concern": ("portal", frozenset({PROVIDER_DSL})),
    "portal.concern_file": ("portal", frozenset({PROVIDER_DSL})),
    # Safeguarding notices (issue 5): school DSLs share; only the provider's DSL reads (a 404 for other roles).
    "school_admin.notices_list": ("school", frozenset({DSL})),
    "school_admin.new_notice": ("school", frozenset({DSL})),
    "school_admin.notice_detail": ("school", frozenset({DSL})),
    "school_admin.notice_file": ("school", frozenset({DSL})),
    "portal.notices_list": ("portal", frozenset({PROVIDER_DSL}), HIDDEN),
    "portal.notice_detail": ("portal", frozenset({PROVIDER_DSL}), HIDDEN),
    "portal.acknowledge_notice": ("portal", frozenset({PROVIDER_DSL}), HIDDEN),
    "portal.notice_file": ("portal", frozenset({PROVIDER_DSL}), HIDDEN),
}
