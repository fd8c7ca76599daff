"""``xiangzhi issue_token USERNAME --name NAME [--scope S …] [--expires-days N]``: a bearer token for a machine
client (shown once). Without ``--scope`` the token has the user's own rights (every scope)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xiangzhi.core import services
from xiangzhi.core.enums import TOKEN_SCOPES
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import User


class Command(BaseCommand):
    help = "为接入系统（银行、联动部门）签发接口令牌；令牌只显示这一次。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 农商银行 e法贷接口")
        parser.add_argument("--scope", action="append", default=[],
                            help=f"narrow the token (repeatable or comma-separated): {', '.join(TOKEN_SCOPES)}, "
                                 "or read / write for every app; default: all of the user's rights")
        parser.add_argument("--expires-days", type=int, default=None,
                            help="the token ends after this many days (default: until revoked)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        scopes = [s for value in options["scope"] for s in value.split(",") if s.strip()]
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days 须为正整数。")
        expires_at = timezone.now() + dt.timedelta(days=days) if days is not None else None
        try:
            token = services.issue_api_token(user, name=options["name"], actor=None, scopes=scopes or None,
                                             expires_at=expires_at)
        except XiangzhiError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(token)
