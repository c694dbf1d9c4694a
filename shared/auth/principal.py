"""The signed-in person as the request sees them: read in one query on every signed-in request.

It carries what every page needs (name, roles, organisation, session state). Views that change the person's
own account ask for `.record`, the ORM User, which is loaded only then.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from shared.extensions import db
from shared.models import Organisation, OrganisationKind, User


@dataclass
class SignedInUser:
    id: uuid.UUID
    email: str
    name: str
    roles: frozenset[str]
    mfa_enabled: bool
    organisation_id: uuid.UUID
    organisation_kind: OrganisationKind
    organisation_name: str
    session_id: uuid.UUID
    session_mfa_verified: bool
    token: str = field(repr=False)
    session_mfa_at: datetime | None = None  # when the security code was last given in this session
    _record: User | None = field(default=None, repr=False)
    _organisation: Organisation | None = field(default=None, repr=False)

    # Flask-Login's interface. The id it keeps in the cookie is the session token, not the user id.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.token

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_school(self) -> bool:
        return self.organisation_kind == OrganisationKind.SCHOOL

    @property
    def record(self) -> User:
        """The ORM User, for changes to the person's own account."""
        if self._record is None:
            self._record = db.session.get(User, self.id)
            assert self._record is not None  # the signed-in person's row, read at the start of this request
        return self._record

    @property
    def organisation(self) -> Organisation:
        if self._organisation is None:
            self._organisation = db.session.get(Organisation, self.organisation_id)
            assert self._organisation is not None  # the signed-in person's, read at the start of this request
        return self._organisation

    @classmethod
    def from_user(
        cls, user: User, *, session_id: uuid.UUID, mfa_verified: bool, token: str, mfa_at: datetime | None = None
    ) -> SignedInUser:
        org = user.organisation
        assert org is not None  # every user is made with a membership (accounts.create_user)
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            roles=user.roles,
            mfa_enabled=user.mfa_enabled,
            organisation_id=org.id,
            organisation_kind=org.kind,
            organisation_name=org.name,
            session_id=session_id,
            session_mfa_verified=mfa_verified,
            token=token,
            session_mfa_at=mfa_at,
            _record=user,
            _organisation=org,
        )
