"""Import every model so ``Base.metadata`` describes the whole schema (for Alembic)."""

from .account import models as account_models  # noqa: F401
from .admin import models as admin_models  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .db import Base
from .logout import models as logout_models  # noqa: F401
from .oidc import models as oidc_models  # noqa: F401
from .privacy import models as privacy_models  # noqa: F401
from .registry import models as registry_models  # noqa: F401

metadata = Base.metadata
