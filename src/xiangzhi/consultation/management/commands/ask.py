import json
import sys

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.consultation import services
from xiangzhi.consultation.models import Channel
from xiangzhi.core.errors import XiangzhiError


def _line(reply: services.Reply) -> dict:
    return {
        "question": reply.question.text, "answer": reply.answer,
        "citations": [{k: c[k] for k in ("law", "label", "number", "id")} for c in reply.citations],
        "ranked": reply.ranked, "topic": reply.topic, "confidence": reply.confidence, "handoff": reply.handoff,
        "handed_off": reply.handed_off,
    }


class Command(BaseCommand):
    help = 'Ask the consultation robot: xiangzhi ask "问题" [--json] [--top K], or --jsonl reading {"question"} lines.'

    def add_arguments(self, parser):  # noqa: ANN001
        parser.add_argument("question", nargs="?", default="")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--jsonl", action="store_true")
        parser.add_argument("--top", type=int, default=5)

    def handle(self, *args, question: str, json: bool, jsonl: bool, top: int, **options):  # noqa: ANN002, ANN003, ARG002, A002
        services.RATE_LIMIT = (10**9, 60)  # a local operator is not a flooding visitor
        if jsonl:
            for raw in sys.stdin:
                if not raw.strip():
                    continue
                try:
                    item = _loads(raw)
                except ValueError:
                    item = None
                if not isinstance(item, dict) or not isinstance(item.get("question", ""), str):
                    # one line in, one line out: a line that is not {"question": "…"} is answered, not fatal
                    self.stdout.write(_dumps({"question": None, "error": {
                        "code": "INVALID_LINE", "message": '每行应为一个 JSON 对象：{"question": "问题"}'}}))
                    continue
                self._emit(item.get("question", ""), top, as_json=True)
            return
        if not question:
            raise CommandError("请给出问题，或使用 --jsonl 从标准输入读取")
        self._emit(question, top, as_json=json)

    def _emit(self, question: str, top: int, *, as_json: bool) -> None:
        visitor = services.Visitor(visitor_id="cli")
        try:
            reply = services.ask(question, visitor=visitor, channel=Channel.CLI, top_k=top)
        except XiangzhiError as exc:
            if not as_json:
                raise CommandError(exc.message) from exc
            self.stdout.write(_dumps({"question": None, "error": {"code": exc.code, "message": exc.message}}))
            return
        if as_json:
            self.stdout.write(_dumps(_line(reply)))
        else:
            self.stdout.write(reply.answer)
            for c in reply.citations:
                self.stdout.write(f"  《{c['law']}》{c['label']}  [{c['id']}]")


def _loads(raw: str) -> dict:
    return json.loads(raw)


def _dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False)
