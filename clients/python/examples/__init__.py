"""Demo department systems built only on the ``sso_client`` SDK.

* :mod:`.sbj_portal`   市人力资源和社会保障局 · 社会保险网上经办 (citizens), port 5002
* :mod:`.qykb_portal`  市市场监督管理局 · 企业开办 (legal persons, level 2), port 5003
* :mod:`.business_api` 政务业务接口 (resource server + one client_credentials call), port 5004

Each has ``create_app(config=None)`` and runs with ``python -m clients.python.examples.<name>``;
configuration comes from environment variables (see :mod:`.common`).
"""
