"""``python -m clients.python.examples.qykb_portal`` — serve on 127.0.0.1:5003 (PORT overrides)."""

import os

from . import create_app

create_app().run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5003")))
