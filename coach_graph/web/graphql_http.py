"""GraphQL over HTTP: how /graphql reads a request body and shapes its answer.

- A body (or a GET's `variables` / `extensions`) is strict UTF-8 JSON holding an object, nested
  at most `MAX_JSON_DEPTH` levels; anything else is refused with 400 and a GraphQL-shaped body
  (`errors[0].extensions.code` BAD_USER_INPUT), never a 500, whatever the nesting.
- A client whose Accept prefers `application/graphql-response+json` gets that media type and the
  status codes the GraphQL-over-HTTP spec gives it: 400 without a `data` entry when the request
  failed before execution (document parsing or validation, variable coercion, our limits), 200
  once execution started. `application/json` (and no Accept, or */*) keeps 200 throughout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import NoReturn

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from coach_graph.errors import ErrorCode

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
# Deeper than any variables our schema takes (its deepest input is a few levels), far below what
# would make graphql-core's recursive coercion (or json's) run out of stack.
MAX_JSON_DEPTH = 64
_REQUEST_ERROR = "coach_graph.request_error"


def _refuse(message: str) -> NoReturn:
    raise HTTPException(400, message)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(data: str | bytes) -> dict[str, object]:
    """The JSON object `data` holds, or 400 (HTTPException) saying what is wrong with it."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        _refuse("The request body is not valid UTF-8.")
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        _refuse(f"The request JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    except ValueError:  # not JSON; NaN or Infinity; an integer of more than 4,300 digits
        _refuse("Unable to parse the request body as JSON.")
    if not isinstance(value, dict):
        _refuse("The request must be a JSON object (with `query`, and optionally `variables`).")
    if _deeper_than(value, MAX_JSON_DEPTH):
        _refuse(f"The request JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    return value


def _children(value: object) -> Iterator[object]:
    if isinstance(value, dict):
        yield from value.values()
    elif isinstance(value, list):
        yield from value


def _deeper_than(value: object, limit: int) -> bool:
    """Whether `value` nests more than `limit` objects or arrays (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((c, depth + 1) for c in _children(item) if isinstance(c, (dict, list)))
    return False


def prefers_graphql_response(headers: Mapping[str, str]) -> bool:
    """Whether the client's Accept prefers application/graphql-response+json to
    application/json (by quality, then by order; */* and a missing Accept mean JSON)."""
    best, best_q = JSON, 0.0
    for part in headers.get("accept", "").split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        if media not in (GRAPHQL_RESPONSE_JSON, JSON, "application/*", "*/*"):
            continue
        q = 1.0
        for param in params:
            key, _, raw = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(raw)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = media, q
    return best == GRAPHQL_RESPONSE_JSON


def error_response(
    headers: Mapping[str, str],
    status: int,
    message: str,
    code: ErrorCode = ErrorCode.BAD_USER_INPUT,
    **extensions: object,
) -> Response:
    """A GraphQL-shaped error body (`errors[0].extensions.code`) in the media type the client
    prefers."""
    body = {"errors": [{"message": message, "extensions": {"code": code.value, **extensions}}]}
    media = GRAPHQL_RESPONSE_JSON if prefers_graphql_response(headers) else JSON
    return JSONResponse(body, status_code=status, media_type=media)


def refusal(request: Request, error: HTTPException) -> Response:
    """What strawberry's refusals (and ours) answer: 404 for a disabled GraphiQL, else a 4xx
    BAD_USER_INPUT with strawberry's message."""
    code = ErrorCode.NOT_FOUND if error.status_code == 404 else ErrorCode.BAD_USER_INPUT
    return error_response(request.headers, error.status_code, error.reason, code)


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the request failed before execution started: no data, and no error at a path."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def shape_result(
    request: Request, result: ExecutionResult, body: GraphQLHTTPResponse
) -> GraphQLHTTPResponse:
    """For a graphql-response+json client, a request error carries no `data` entry and is
    remembered for `negotiate` to answer 400."""
    if is_request_error(result) and prefers_graphql_response(request.headers):
        body.pop("data", None)
        request.scope[_REQUEST_ERROR] = True
    return body


def negotiate(request: Request, response: Response) -> None:
    """Give a JSON result the media type the client prefers, with its status code."""
    if response.media_type != JSON or not prefers_graphql_response(request.headers):
        return
    response.headers["content-type"] = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
    if request.scope.get(_REQUEST_ERROR):
        response.status_code = 400
