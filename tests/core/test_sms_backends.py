"""The demo's SMS backend: every message to the file outbox, sign-in codes also to the console (masked phone)."""

import json

from xiangzhi.core import services
from xiangzhi.core.models import Notification
from xiangzhi.core.sms import LOGIN_CODE_OPENING, DemoConsoleBackend


def test_the_demo_backend_prints_sign_in_codes_only_and_files_everything(settings, tmp_path, capsys):
    settings.XIANGZHI_SMS_FILE_DIR = str(tmp_path / "sms")
    backend = DemoConsoleBackend()
    backend.send("13900000002", "【乡治】您的调解申请已受理。")
    backend.send("13800000001", f"{LOGIN_CODE_OPENING}123456，5分钟内有效。请勿告诉他人。")
    console = capsys.readouterr().err
    assert console == "[短信 → 138****0001] 【乡治】您的登录验证码为123456，5分钟内有效。请勿告诉他人。\n"
    sent = [json.loads(line) for line in (tmp_path / "sms" / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(m["to"], m["text"][:8]) for m in sent] == [("13900000002", "【乡治】您的调解"), ("13800000001", "【乡治】您的登录")]


def test_the_sign_in_code_message_is_the_one_the_demo_backend_recognises(db, settings, tmp_path, capsys):
    settings.XIANGZHI_SMS_BACKEND = "xiangzhi.core.sms.DemoConsoleBackend"
    settings.XIANGZHI_SMS_FILE_DIR = str(tmp_path / "sms")
    services.request_login_code("13800000001")
    services.enqueue_sms("13900000002", "【乡治】您的调解申请已受理。")
    assert services.deliver_notifications() == {"sent": 2, "failed": 0}
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("[短信 → 138****0001] " + LOGIN_CODE_OPENING)
    assert Notification.objects.filter(status="sent").count() == 2
