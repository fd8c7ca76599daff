"""``xiangzhi issue_token USERNAME --name NAME``: a bearer token for a machine client (shown once)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.core import services
from xiangzhi.core.models import User


class Command(BaseCommand):
    help = "为接入系统（银行、联动部门）签发接口令牌；令牌只显示这一次。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 农商银行 e法贷接口")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在。")
        token = services.issue_api_token(user, name=options["name"], actor=None)
        self.stdout.write(token)
