"""Pages of the ledger: the staff status page, the public key, and public bundle downloads by signed token."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from xiangzhi.core.access import public, staff_required
from xiangzhi.core.errors import NotFound, XiangzhiError

from . import services
from .bundle import bundle_to_json


@public
def key(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    """The log's verifier key (C2SP signed-note vkey), so that anyone can check our checkpoints and bundles."""
    return HttpResponse(services.vkey() + "\n", content_type="text/plain; charset=utf-8")


@public
def bundle(request: HttpRequest, token: str) -> HttpResponse:
    """Download the offline proof bundle named by an unguessable signed token (see services.bundle_url); an expired
    link answers 410 with a page saying how to get a new one."""
    try:
        data = services.bundle_from_token(token)
    except NotFound:
        raise Http404 from None
    except services.BundleLinkExpired as exc:
        return render(request, "ledger/bundle_expired.html", {"message": exc.message}, status=exc.status)
    response = HttpResponse(bundle_to_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="xiangzhi-proof.json"'
    return response


@staff_required()
def status(request: HttpRequest) -> HttpResponse:
    context: dict = {
        "checkpoint": services.latest_checkpoint(),
        "tree_size": services.tree_size(),
        "vkey": services.vkey(),
        "origin": services.origin(),
        "run": services.last_verification(),
        "form": request.POST if request.method == "POST" else {},
    }
    if request.method == "POST":
        try:
            proof = [h for h in request.POST.get("proof", "").replace(",", "\n").splitlines() if h.strip()]
            services.check_inclusion(
                leaf_index=int(request.POST.get("leaf_index", "")), tree_size=int(request.POST.get("tree_size", "")),
                leaf_hash_hex=request.POST.get("leaf_hash", ""), root_hex=request.POST.get("root_hash", ""),
                proof_hex=proof,
            )
        except ValueError:
            context["check"] = {"ok": False, "message": "序号和树大小须为整数。"}
        except XiangzhiError as exc:
            context["check"] = {"ok": False, "message": f"{exc.message}（{exc.detail}）"}
        else:
            context["check"] = {"ok": True, "message": "证明有效：该叶子包含在此根哈希对应的树中。"}
    return render(request, "ledger/status.html", context)
