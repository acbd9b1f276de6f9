"""OpenAPI post-processing: every operation documents the error answers it can give, with their bodies.

Views declare what is particular to them (a 409 of the workflow, a 422 of intake); the
answers DRF gives every view alike are added here from what the operation takes, so that
the schema says what a client really receives (schemathesis checks it,
tests/reliability/test_api_fuzz.py):

- 400 when it takes query parameters or a body (field-named messages, core.api);
- 403 when it needs a login (session or basic auth: DRF answers 403, not 401, because
  the session scheme comes first and sends no WWW-Authenticate challenge);
- 404 when it has path parameters (no such object, or not one the user may see);
- 413 and 415 when it takes a body (too large; a media type it does not parse).
"""

from __future__ import annotations

ERROR = {
    "type": "object",
    "description": "What is wrong, in words a person can act on; `code` is stable for programs.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "description": 'Field-named messages (`{"lat": ["…"]}`), a list of messages, or a `detail`.',
    "oneOf": [
        {"type": "object", "additionalProperties": True},
        {"type": "array", "items": {"type": "string"}},
    ],
}
DESCRIPTIONS = {
    "400": "The input is not valid: the body names each wrong field and what is wrong with it.",
    "403": "Not logged in, or the user's role may not do this.",
    "404": "No such object, or not one the user's office may see.",
    "409": "The ticket's state or a workflow rule forbids this now; the message says why.",
    "413": "The request body is larger than the server accepts.",
    "415": "The request body's media type is not one this operation reads.",
    "422": "Well-formed, but the rules do not accept it; the message says why.",
}
METHODS = ("get", "put", "post", "patch", "delete")


def _needs_login(operation: dict) -> bool:
    return {} not in operation.get("security", [{}])


def document_error_answers(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS['POSTPROCESSING_HOOKS'])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationError", VALIDATION_ERROR)
    for item in result.get("paths", {}).values():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            params = operation.get("parameters", [])
            has_body = "requestBody" in operation
            if has_body or any(p.get("in") == "query" for p in params):
                responses.setdefault("400", {})
            if _needs_login(operation):
                responses.setdefault("403", {})
            if any(p.get("in") == "path" for p in params):
                responses.setdefault("404", {})
            if has_body:
                responses.setdefault("413", {})
                responses.setdefault("415", {})
            for code, response in responses.items():
                if not code.startswith("4"):
                    continue
                if not response.get("description"):
                    response["description"] = DESCRIPTIONS.get(code, "")
                if "content" not in response:
                    ref = "ValidationError" if code == "400" else "Error"
                    response["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}
    return result
