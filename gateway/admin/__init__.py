"""Admin console (/admin) and admin REST API (/admin/api/v1), with 等保 separation of duties.

Layers: ``views_*`` (HTML) and ``api_*`` (JSON) are thin; ``ops_*`` hold every admin action, check
the actor's role and write the audit record, so the console and the API cannot drift apart.
"""
