"""The API's one error envelope ``{code, message, detail}`` for every error under /api/, inside ninja and outside it.

Inside the API, ``xiangzhi.api`` registers ninja exception handlers that answer through :func:`envelope`; the JSON
parser here refuses other content types (415) and explains malformed JSON in Chinese. Outside ninja (URL resolver
404, ninja's bare 405, CSRF failures, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, an exception in a middleware), the
:class:`ApiErrorMiddleware` and :func:`csrf_failure` give the same envelope. No traceback or HTML page ever leaves
/api/, whatever DEBUG says; unhandled exceptions are logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views.csrf import csrf_failure as django_csrf_failure
from ninja.parser import Parser

from .errors import XiangzhiError

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# status -> (code, message) for errors that carry no code of their own
GENERIC: dict[int, tuple[str, str]] = {
    400: ("BAD_REQUEST", "请求无法处理，请检查请求内容。"),
    401: ("UNAUTHENTICATED", "请先登录或提供有效的接口令牌。"),
    403: ("FORBIDDEN", "无权执行此操作。"),
    404: ("NOT_FOUND", "未找到该对象或无权查看。"),
    405: ("METHOD_NOT_ALLOWED", "该接口不支持此请求方法。"),
    406: ("NOT_ACCEPTABLE", "无法提供所要求的响应格式。"),
    409: ("CONFLICT", "请求与当前状态冲突。"),
    413: ("REQUEST_TOO_LARGE", "请求数据过大。"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的请求数据类型。"),
    422: ("INVALID_INPUT", "请求数据格式不正确，请检查各字段。"),
    429: ("RATE_LIMITED", "操作过于频繁，请稍后再试。"),
    500: ("INTERNAL_ERROR", "服务器内部错误，请稍后再试；问题已记录。"),
}

JSON_TYPES = ("application/json",)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def envelope(status: int, code: str | None = None, message: str | None = None, detail: Any = None,
             headers: dict[str, str] | None = None) -> JsonResponse:
    default_code, default_message = GENERIC.get(status, GENERIC[500 if status >= 500 else 400])
    response = JsonResponse({"code": code or default_code, "message": str(message or default_message),
                             "detail": detail}, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def retry_after(detail: Any, default: int = 60) -> str:
    seconds = detail.get("retry_after") if isinstance(detail, dict) else None
    return str(max(1, int(seconds))) if isinstance(seconds, int | float) else str(default)


def too_large_detail() -> dict[str, Any]:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return {"limit_bytes": limit, "hint": f"请求体不得超过 {limit} 字节；较大的文件请以 multipart/form-data 上传。"}


def not_found_detail(request: HttpRequest) -> dict[str, Any]:
    detail: dict[str, Any] = {"path": request.path, "hint": "接口地址不存在，请查阅 /api/v1/docs 中的接口列表。"}
    if not request.path.endswith("/") and _resolves(request.path_info + "/"):
        detail["hint"] = f"接口地址须以 / 结尾：{request.path}/"
    return detail


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class JsonParser(Parser):
    """ninja's JSON parser with a content-type check (415) and Chinese explanations of malformed JSON.

    ninja wraps whatever ``parse_body`` raises into ``HttpError(400, "Cannot parse request body")`` with our error as
    its ``__cause__``; the API's HttpError handler answers with that cause.
    """

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> dict[str, Any]:
        """A parameter that is not a list given more than once is refused (ninja would keep the last value)."""
        repeated = [key for key in data if key not in list_fields and len(data.getlist(key)) > 1]
        if repeated:
            raise XiangzhiError("INVALID_INPUT", "请求数据格式不正确，请检查各字段。",
                                [{"loc": [key], "msg": "该参数只能给出一次。", "type": "repeated"} for key in repeated],
                                status=422)
        return super().parse_querydict(data, list_fields, request)

    def parse_body(self, request: HttpRequest) -> Any:
        content_type = (request.content_type or "").lower()
        if content_type not in JSON_TYPES and not content_type.endswith("+json"):
            raise XiangzhiError("UNSUPPORTED_MEDIA_TYPE", "该接口只接受 JSON 请求体。",
                                {"content_type": content_type, "hint": "请使用 Content-Type: application/json。",
                                 "accepted": list(JSON_TYPES)}, status=415)
        try:
            return json.loads(request.body)
        except UnicodeDecodeError:
            raise XiangzhiError("MALFORMED_JSON", "请求体不是有效的 JSON，请检查格式。",
                                {"problem": "请求体不是 UTF-8 编码的文本。"}, status=400) from None
        except json.JSONDecodeError as exc:
            raise XiangzhiError("MALFORMED_JSON", "请求体不是有效的 JSON，请检查格式。",
                                {"line": exc.lineno, "column": exc.colno,
                                 "problem": f"第 {exc.lineno} 行第 {exc.colno} 列附近的 JSON 格式有误。"},
                                status=400) from None
        except RecursionError:
            raise XiangzhiError("MALFORMED_JSON", "请求体不是有效的 JSON，请检查格式。",
                                {"problem": "JSON 嵌套层数过多。"}, status=400) from None


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the envelope under /api/, Django's page elsewhere."""
    if is_api(request):
        return csrf_envelope()
    return django_csrf_failure(request, reason=reason)


def csrf_envelope() -> JsonResponse:
    return envelope(403, "CSRF_FAILED", "跨站请求校验失败，请刷新页面后重试。",
                    {"hint": "浏览器会话调用写操作时须带 X-CSRFToken 请求头（取自 csrftoken Cookie）；"
                             "机器客户端请使用接口令牌（Authorization: Bearer …）。"})


class ApiErrorMiddleware:
    """Under /api/: a NUL in the URL answers 422, unknown paths a 404 envelope (no slash redirects), a body over the
    upload limit a 413, and any error response that is not JSON (ninja's 405, Django's 400/403/500 pages) is replaced
    by the envelope.

    Placed before CommonMiddleware, so APPEND_SLASH never redirects (or, in DEBUG, raises on) an API POST.
    """

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        nul = _nul_locations(request)
        if nul:  # PostgreSQL cannot compare or store text with NUL: refuse it before any query sees it
            return envelope(422, "INVALID_INPUT", None,
                            [{"loc": loc, "msg": "不能包含空字符（%00）。", "type": "nul"} for loc in nul])
        if not _resolves(request.path_info):
            return envelope(404, detail=not_found_detail(request))
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit and not (
                request.content_type or "").startswith("multipart/"):
            return envelope(413, detail=too_large_detail())
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            return self._replace(request, response)
        return response

    @staticmethod
    def _replace(request: HttpRequest, response: HttpResponse) -> JsonResponse:
        status = response.status_code
        headers: dict[str, str] = {}
        detail: Any = None
        if status == 405 and response.has_header("Allow"):
            headers["Allow"] = response["Allow"]
            detail = {"allowed": [m.strip() for m in response["Allow"].split(",")],
                      "hint": f"该接口允许的方法：{response['Allow']}"}
        elif status == 404:
            detail = not_found_detail(request)
        elif status == 413:
            detail = too_large_detail()
        elif status == 429:
            headers["Retry-After"] = response.get("Retry-After", "60")
        return envelope(status, detail=detail, headers=headers)


def _nul_locations(request: HttpRequest) -> list[list[str]]:
    found = [["path"]] if "\x00" in request.path_info else []
    return found + [["query", key] for key, values in request.GET.lists()
                    if "\x00" in key or any("\x00" in v for v in values)]


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# pydantic error type -> Chinese message (``{name}`` is filled from the error's ctx)
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "必填字段。",
    "extra_forbidden": "不允许的字段。",
    "string_type": "应为字符串。",
    "int_type": "应为整数。",
    "int_parsing": "应为整数。",
    "int_from_float": "应为整数。",
    "float_type": "应为数字。",
    "float_parsing": "应为数字。",
    "decimal_type": "应为数字。",
    "decimal_parsing": "应为数字。",
    "decimal_max_digits": "数字位数过多（最多 {max_digits} 位）。",
    "decimal_max_places": "小数位数过多（最多 {decimal_places} 位）。",
    "decimal_whole_digits": "整数部分位数过多。",
    "finite_number": "应为有限数字。",
    "bool_type": "应为布尔值（true 或 false）。",
    "bool_parsing": "应为布尔值（true 或 false）。",
    "string_too_short": "至少 {min_length} 个字符。",
    "string_too_long": "最多 {max_length} 个字符。",
    "string_pattern_mismatch": "格式不正确。",
    "too_short": "至少 {min_length} 项。",
    "too_long": "最多 {max_length} 项。",
    "greater_than": "应大于 {gt}。",
    "greater_than_equal": "应大于或等于 {ge}。",
    "less_than": "应小于 {lt}。",
    "less_than_equal": "应小于或等于 {le}。",
    "enum": "取值无效，可选值：{expected}。",
    "literal_error": "取值无效，可选值：{expected}。",
    "list_type": "应为列表。",
    "dict_type": "应为对象。",
    "model_type": "应为对象。",
    "model_attributes_type": "应为对象。",
    "date_type": "应为日期（YYYY-MM-DD）。",
    "date_parsing": "应为日期（YYYY-MM-DD）。",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）。",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD），不含时间。",
    "datetime_type": "应为日期时间（ISO 8601）。",
    "datetime_parsing": "应为日期时间（ISO 8601）。",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）。",
    "timezone_aware": "日期时间须带时区。",
    "uuid_parsing": "应为 UUID。",
    "json_invalid": "不是有效的 JSON。",
    "value_error": "取值无效。",
    "assertion_error": "取值无效。",
    "string_unicode": "应为有效的 Unicode 文本。",
}


def validation_detail(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's errors as ``[{loc, msg, type}]`` with the message in Chinese."""
    out = []
    for err in errors:
        kind = err.get("type", "")
        template = _VALIDATION_MESSAGES.get(kind, "取值无效。")
        try:
            msg = template.format(**{k: str(v) for k, v in (err.get("ctx") or {}).items()})
        except (KeyError, IndexError, ValueError):
            msg = template.split("{")[0].rstrip("：（") + "。" if "{" in template else template
        out.append({"loc": [str(p) for p in err.get("loc", [])], "msg": msg, "type": kind})
    return out


# --- OpenAPI: every operation documents the envelope for each error it can answer -------------------------------
_ERROR_DESCRIPTIONS = {
    400: "请求无法处理（如 JSON 或 multipart 格式错误）", 401: "未登录或接口令牌无效", 403: "无权执行或跨站请求校验失败",
    404: "对象不存在或无权查看", 405: "不支持的请求方法", 409: "与当前状态冲突", 413: "请求数据过大",
    415: "请求数据类型不是 JSON", 422: "请求数据未通过校验", 429: "操作过于频繁（见 Retry-After）",
    500: "服务器内部错误（已记录）",
}
_BODY_ERRORS = (400, 413, 415)


def document_errors(schema: dict[str, Any], error_ref: str = "#/components/schemas/ErrorOut") -> dict[str, Any]:
    """Add the envelope as the response of every error an operation can answer, with ``Retry-After`` on 429."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            statuses = [403, 404, 405, 409, 422, 429, 500]
            if operation.get("security"):
                statuses.append(401)
            if "requestBody" in operation or method != "get":
                statuses.extend(_BODY_ERRORS)
            for status in sorted(statuses):
                key = str(status) if str(status) in responses else status  # ninja's own keys are ints
                entry = responses.setdefault(key, {"description": _ERROR_DESCRIPTIONS[status]})
                entry.setdefault("content", {"application/json": {"schema": {"$ref": error_ref}}})
                if status == 429:
                    entry.setdefault("headers", {"Retry-After": {
                        "description": "可重试前的秒数", "schema": {"type": "integer", "minimum": 1}}})
    return schema
