"""``python -m clients.python.examples.business_api`` — serve on 127.0.0.1:5004 (PORT overrides)."""

import os

from . import create_app

create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5004")))
