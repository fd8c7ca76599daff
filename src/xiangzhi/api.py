"""The /api/v1/ API (django-ninja). Each app adds its router here; OpenAPI at /api/v1/openapi.json.

Errors are always ``{"code", "message", "detail"}`` (Chinese message and detail): service refusals (XiangzhiError),
schema validation (422, field paths in detail), malformed bodies (400), authentication (401), CSRF (403), missing or
hidden objects (404), bodies too large (413) or not JSON (415), rate limits (429, with Retry-After) and unhandled
errors (500, logged, never a traceback). The handlers below cover what happens inside ninja; what happens outside it
(unknown paths, 405, CSRF failure view, oversized bodies, middleware errors) is core.api_errors.ApiErrorMiddleware's.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from xiangzhi.core import api_errors
from xiangzhi.core.api import router as core_router
from xiangzhi.core.api_auth import default_auth
from xiangzhi.core.errors import RateLimited, XiangzhiError

logger = logging.getLogger("xiangzhi.api")


class XiangzhiAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):  # noqa: ANN003, ANN201
        """The schema says which errors each operation answers, all with the one envelope."""
        return api_errors.document_errors(super().get_openapi_schema(**kwargs))


api = XiangzhiAPI(
    title="乡治 API",
    version="1.0.0",
    description="乡治（法治乡村数字化平台）接口：桐解码、区块链存证、研判、智能咨询等。错误统一为 {code, message, detail}。",
    auth=default_auth(),
    urls_namespace="api-1.0.0",
    parser=api_errors.JsonParser(),
)


def _error(request: HttpRequest, status: int, code: str | None = None, message: str | None = None,  # noqa: ARG001
           detail=None):  # noqa: ANN001, ANN202
    headers = None
    if status == 429:
        headers = {"Retry-After": api_errors.retry_after(detail)}
        if isinstance(detail, dict) and "hint" not in detail:
            detail = {**detail, "hint": f"请 {headers['Retry-After']} 秒后再试。"}
    return api_errors.envelope(status, code, message, detail, headers=headers)


@api.exception_handler(XiangzhiError)
def on_service_error(request: HttpRequest, exc: XiangzhiError):  # noqa: ANN201
    response = _error(request, exc.status, exc.code, exc.message, exc.detail)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError):  # noqa: ANN201
    return _error(request, 422, "INVALID_INPUT", "请求数据格式不正确，请检查各字段。",
                  api_errors.validation_detail(exc.errors))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError):  # noqa: ANN201, ARG001
    return _error(request, 401, "UNAUTHENTICATED", "请先登录或提供有效的接口令牌。")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404):  # noqa: ANN201, ARG001
    return _error(request, 404, "NOT_FOUND", "未找到该对象或无权查看。")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError):  # noqa: ANN201
    """ninja's own refusals: a body the parser refused (its cause is our XiangzhiError) and CSRF failures."""
    if isinstance(exc.__cause__, XiangzhiError):
        return on_service_error(request, exc.__cause__)
    if exc.status_code == 403 and "CSRF" in str(exc):
        return api_errors.csrf_envelope()
    return _error(request, exc.status_code)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig):  # noqa: ANN201, ARG001
    return _error(request, 413, detail=api_errors.too_large_detail())


@api.exception_handler(MultiPartParserError)
def on_bad_multipart(request: HttpRequest, exc: MultiPartParserError):  # noqa: ANN201, ARG001
    return _error(request, 400, "MALFORMED_MULTIPART", "multipart/form-data 请求体格式不正确。",
                  {"hint": "请求头 Content-Type 须带 boundary，请求体须按 boundary 分段；通常由 HTTP 客户端自动生成。"})


@api.exception_handler(Exception)
def on_unhandled(request: HttpRequest, exc: Exception):  # noqa: ANN201
    """Anything else: logged with its traceback, answered with a 500 envelope (never the traceback, even in DEBUG)."""
    logger.error("unhandled error in %s %s", request.method, request.path, exc_info=exc)
    return _error(request, 500)


# Each router with the auth of its app: an API token needs a scope of that app (enums.TOKEN_APPS).
api.add_router("/", core_router, auth=default_auth("core"))
api.add_router("/cases", "xiangzhi.disputes.api.router", auth=default_auth("cases"))
api.add_router("/ledger", "xiangzhi.ledger.api.router", auth=default_auth("ledger"))
api.add_router("/timebank", "xiangzhi.timebank.api.router", auth=default_auth("timebank"))
api.add_router("/consult", "xiangzhi.consultation.api.router", auth=default_auth("consult"))
api.add_router("/outreach", "xiangzhi.outreach.api.router", auth=default_auth("outreach"))
api.add_router("/network", "xiangzhi.network.api.router", auth=default_auth("network"))
api.add_router("/recognitions", "xiangzhi.recognitions.api.router", auth=default_auth("recognitions"))
api.add_router("/legality", "xiangzhi.legality.api.router", auth=default_auth("legality"))
api.add_router("/villages", "xiangzhi.villages.api.router", auth=default_auth("villages"))
api.add_router("/insights", "xiangzhi.insights.api.router", auth=default_auth("insights"))
