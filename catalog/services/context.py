"""Who is acting: the user (or the system), through which token, from which address.

What an actor may do is for the rights policy (``catalog.policy``) to say, not for
properties here.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.models.users import Role, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str  # e-mail, or "system"
    role: Role | None
    team_id: int | None = None
    institution_id: int | None = None
    token_id: int | None = None
    client_addr: str = ""
    # A visitor who has not signed in: no user, and not the system either.
    anonymous: bool = False

    @classmethod
    def for_user(cls, user: User, *, token_id: int | None = None, client_addr: str = "") -> Actor:
        return cls(
            user_id=user.id,
            label=user.email,
            role=user.role,
            team_id=user.team_id,
            institution_id=user.institution_id,
            token_id=token_id,
            client_addr=client_addr or "",
        )

    @classmethod
    def visitor(cls, client_addr: str = "") -> Actor:
        """Someone who has not signed in: may do only what is public."""
        return cls(
            user_id=None, label="anonymous", role=None, client_addr=client_addr, anonymous=True
        )

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, label=label, role=None)
