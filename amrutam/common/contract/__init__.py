"""The API contract of API.md, defined once: envelopes, error codes, pagination, schema.

- `envelope`: the JSend success body and the error body, as dicts and as responses.
- `codes`: the stable `code` of each DRF exception and of each bare HTTP status.
- `pagination`: `?page=&pageSize=` and the `{"<items>": [...], "pagination": {...}}` body.
- `openapi`: the OpenAPI pieces every app's `openapi.py` builds its declarations from.
- `schema_hooks`: what every operation shares, added to the generated schema.

Nothing is imported here: the hot paths import the one submodule they need.
"""
