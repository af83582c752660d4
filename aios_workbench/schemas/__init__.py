"""The REST API's contract: pydantic models of every route's request body, query parameters and JSON
answer, one module per feature (status, query, catalog, checks, models, runs, jobs, promotion, alerts,
dashboard, errors).

Route classes in `surfaces/rest` name these models; the route base validates request bodies with them,
`surfaces/rest/openapi.py` generates openapi.yaml from them, and under `AIOS_VALIDATE_RESPONSES=1`
(the test run) every JSON answer is validated against its route's model. This package imports only
pydantic and `core`, so every layer may use it.
"""
