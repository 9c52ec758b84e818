"""Password hashing (argon2id) and the local password policy."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..settings import SecuritySettings


class PasswordPolicyError(ValueError):
    """The password does not meet the policy; the message says which rule."""


def make_hasher(s: SecuritySettings) -> PasswordHasher:
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_cost,
                          parallelism=s.argon2_parallelism, hash_len=32, salt_len=16, type=Type.ID)


def verify(hasher: PasswordHasher, hashed: str, password: str) -> bool:
    try:
        return hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_policy(password: str, username: str, s: SecuritySettings) -> None:
    """At least N characters from 3 of 4 classes, not the username (等保 common practice)."""
    if not isinstance(password, str) or len(password) < s.password_min_length:
        raise PasswordPolicyError(f"密码至少 {s.password_min_length} 位 / at least {s.password_min_length} characters")
    if len(password) > 256:
        raise PasswordPolicyError("密码过长 / password too long (max 256)")
    classes = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password), any(not c.isalnum() for c in password)))
    if classes < 3:
        raise PasswordPolicyError("密码须包含大写字母、小写字母、数字、符号中的至少三类 / "
                                  "use at least 3 of: upper case, lower case, digits, symbols")
    if username and password.lower() == username.lower():
        raise PasswordPolicyError("密码不能与用户名相同 / the password must differ from the username")
