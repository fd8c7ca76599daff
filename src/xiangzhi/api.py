"""The /api/v1/ API (django-ninja). Each app adds its router here; OpenAPI at /api/v1/openapi.json.

Errors are always ``{"code", "message", "detail"}`` with a 4xx status: service refusals (XiangzhiError), schema
validation (422, field paths in detail), authentication (401), missing or hidden objects (404), rate limits (429).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from xiangzhi.core.api import router as core_router
from xiangzhi.core.api_auth import default_auth
from xiangzhi.core.errors import RateLimited, XiangzhiError

api = NinjaAPI(
    title="乡治 API",
    version="1.0.0",
    description="乡治（法治乡村数字化平台）接口：桐解码、区块链存证、研判、智能咨询等。错误统一为 {code, message, detail}。",
    auth=default_auth(),
    urls_namespace="api-1.0.0",
)


def _error(request: HttpRequest, status: int, code: str, message: str, detail=None):  # noqa: ANN001, ANN202
    return api.create_response(request, {"code": code, "message": message, "detail": detail}, status=status)


@api.exception_handler(XiangzhiError)
def on_service_error(request: HttpRequest, exc: XiangzhiError):  # noqa: ANN201
    response = _error(request, exc.status, exc.code, exc.message, exc.detail)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError):  # noqa: ANN201
    detail = [
        {"loc": [str(p) for p in err.get("loc", [])], "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    return _error(request, 422, "INVALID_INPUT", "请求数据格式不正确，请检查各字段。", detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):  # noqa: ANN201, ARG001
    return _error(request, 401, "UNAUTHENTICATED", "请先登录或提供有效的接口令牌。")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):  # noqa: ANN201, ARG001
    return _error(request, 404, "NOT_FOUND", "未找到该对象或无权查看。")


_HTTP_ERRORS = {
    "Cannot parse request body": ("MALFORMED_JSON", "请求体不是有效的 JSON，请检查格式。"),
}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):  # noqa: ANN201
    code, message = _HTTP_ERRORS.get(str(exc), ("HTTP_ERROR", f"请求无法处理：{exc}"))
    return _error(request, exc.status_code, code, message)


# Each router with the auth of its app: an API token needs a scope of that app (enums.TOKEN_APPS).
api.add_router("/", core_router, auth=default_auth("core"))
api.add_router("/cases", "xiangzhi.disputes.api.router", auth=default_auth("cases"))
api.add_router("/cases", "xiangzhi.disputes.api_part2.router", auth=default_auth("cases"))
api.add_router("/ledger", "xiangzhi.ledger.api.router", auth=default_auth("ledger"))
api.add_router("/consult", "xiangzhi.consultation.api.router", auth=default_auth("consult"))
api.add_router("/insights", "xiangzhi.insights.api.router", auth=default_auth("insights"))
