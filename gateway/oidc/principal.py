"""The user as a grant sees it: who, and how and when they authenticated."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GrantUser:
    user_id: str
    sid: str | None = None
    auth_time: int = 0
    acr: str | None = None
    amr: tuple[str, ...] = field(default_factory=tuple)
    user_type: str = "local"
    identity_id: int | None = None  # which linked identity's claims this session carries

    def get_user_id(self) -> str:
        return self.user_id

    def to_dict(self) -> dict:
        return {"user_id": self.user_id, "sid": self.sid, "auth_time": self.auth_time, "acr": self.acr,
                "amr": list(self.amr), "user_type": self.user_type, "identity_id": self.identity_id}

    @classmethod
    def from_dict(cls, d: dict) -> "GrantUser":
        return cls(user_id=d["user_id"], sid=d.get("sid"), auth_time=int(d.get("auth_time") or 0),
                   acr=d.get("acr"), amr=tuple(d.get("amr") or ()), user_type=d.get("user_type", "local"),
                   identity_id=d.get("identity_id"))
