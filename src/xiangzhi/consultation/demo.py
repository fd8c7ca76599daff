"""智能咨询 demo data: the laws villagers ask about most, loaded from the shared law corpus when it is present.

The full corpus (73,477 articles) is loaded with ``xiangzhi load_laws PATH --index``; the demo takes the laws of
everyday rural disputes (about 2,500 articles) so that ``make demo`` stays quick, and builds a retrieval index
without the learned re-ranker (BM25 with rewriting and law priors). Idempotent: laws already loaded are skipped.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from django.conf import settings

from xiangzhi.core.demo import DemoContext

DEMO_LAWS = {
    "民法典", "劳动合同法", "劳动法", "劳动争议调解仲裁法", "道路交通安全法", "农村土地承包法", "农村土地承包经营纠纷调解仲裁法",
    "土地管理法", "人民调解法", "消费者权益保护法", "治安管理处罚法", "妇女权益保障法", "未成年人保护法", "老年人权益保障法",
    "反家庭暴力法", "村民委员会组织法", "物业管理条例", "医疗纠纷预防和处理条例", "社会保险法", "工伤保险条例",
}


def corpus_path() -> Path | None:
    for candidate in (settings.SHARED_DIR / "data/laws/articles.jsonl.gz",
                      Path.cwd().parent / "shared/data/laws/articles.jsonl.gz"):
        if candidate.exists():
            return candidate
    return None


def build(ctx: DemoContext) -> None:
    from . import services
    from .models import Article

    source = corpus_path()
    if source is None:
        ctx.say("法律法规库：未找到 shared/data/laws，跳过（可用 xiangzhi load_laws PATH 载入）。")
        return
    if Article.objects.filter(law__short="民法典").exists() and services.cache_dir().joinpath("current.json").exists():
        ctx.say("法律法规库：已载入。")
        return
    subset = Path(settings.DATA_DIR) / "demo-laws.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as src, gzip.open(subset, "wt", encoding="utf-8") as out:
        for line in src:
            if json.loads(line).get("short") in DEMO_LAWS:
                out.write(line)
    stats = services.load_laws(subset, actor=None)
    services.build_index(use_training=False)
    ctx.say(f"法律法规库：载入 {stats.laws_created} 部法律、{stats.articles_created} 条（完整法规库请用 load_laws）。")
