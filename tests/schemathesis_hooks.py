"""schemathesis' hooks for tests/tests/system/openapi.rs (SCHEMATHESIS_HOOKS).

The issue request has two rules across fields that no JSON Schema can state
(docs/api.md): `expirationDate` not before `issuanceDate`, and both dates in
UTC between the years 0000 and 9999 (a year-9999 date-time with a negative
offset is year 10000 in UTC). Generated bodies are mapped to keep them, so
that the positive-data check still holds the service to every rule the
schema does state.

A bulk job's CSV body is a text no JSON Schema can describe as a valid
cohort: the generated text is replaced by a one-row CSV of a new learner
(the CSV reading has its own tests: crates/certificate-http/src/bulk/body.rs
and tests/tests/system/bulk.rs); a JSON array's requests each keep the rules
above.
"""

import uuid
from datetime import datetime, timezone

import schemathesis

LATEST = "9999-12-31T00:00:00Z"


def instant(text):
    """The UTC instant of an ISO 8601 date or date-time, None if it is no date, "late" past year 9999."""
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    try:
        return (at if at.tzinfo else at.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    except OverflowError:
        return "late"


CSV_HEADER = "userId,courseId,courseName,firstName,lastName,issuanceDate,expirationDate"


@schemathesis.hook
def map_body(context, body):
    if isinstance(body, list):
        return [kept(item) for item in body]
    return kept(body)


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path.endswith("/issue/bulk") and case.media_type == "text/csv":
        case.body = f"{CSV_HEADER}\n{uuid.uuid4()},do_1,Course,Ada,Lovelace,2026-01-01,2099-01-01\n"


def kept(body):
    """The issue request `body` with the rules across its fields kept."""
    if not isinstance(body, dict):
        return body
    for field in ("issuanceDate", "expirationDate"):
        if instant(body.get(field)) == "late":
            body[field] = LATEST
    issued, expires = instant(body.get("issuanceDate")), instant(body.get("expirationDate"))
    if isinstance(issued, datetime) and isinstance(expires, datetime) and expires < issued:
        body["issuanceDate"], body["expirationDate"] = body["expirationDate"], body["issuanceDate"]
    return body
