"""Who may use each endpoint. The spec the access tests hold the app to: a new route needs a new row.

PUBLIC: anyone, signed in or not. SIGNED_IN: anyone signed in, either side.
("school", roles) / ("portal", roles): signed in on that side with one of the roles.
"""

from shared.roles import (
    AP_LEAD,
    ATTENDANCE_LEAD,
    DSL,
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
SIGNED_IN = "signed_in"
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
    "school_admin.verification_queue": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.review_document": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.verify_document": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.reject_document": ("school", frozenset({AP_LEAD, DSL})),
    "school_admin.download_document": ("school", frozenset({AP_LEAD, DSL, HEADTEACHER, SLT})),
    "portal.home": ("portal", ALL_PROVIDER),
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
}
