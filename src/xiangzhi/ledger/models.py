"""Tables of the tamper-evident log (区块链存证). No workflow logic here: every write is in ``services.py``.

* :class:`Leaf` — one row per log entry; ``data`` is the canonical leaf serialisation that is hashed.
* :class:`Node` — every complete perfect subtree ``(level, index)`` of the RFC 6962 tree (level 0 = leaf hashes), so
  any proof is one indexed query of O(log n) rows.
* :class:`Checkpoint` — signed tree heads (C2SP tlog-checkpoint notes) with the consistency proof from the previous one.
* :class:`WitnessedCheckpoint` — checkpoints imported from elsewhere (another installation, a court, a paper copy).
* :class:`VerificationRun` — results of ``xiangzhi ledger verify``.

Leaf, Node and Checkpoint are append-only (application layer and, outside the test suite, database triggers).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import AppendOnlyModel


class Leaf(AppendOnlyModel):
    index = models.BigIntegerField(_("序号"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=60)
    data = models.BinaryField(_("叶子数据"))
    hash = models.BinaryField(_("叶子哈希"), max_length=32)
    ref_type = models.CharField(_("来源类型"), max_length=60, blank=True)
    ref_id = models.CharField(_("来源编号"), max_length=64, blank=True)
    group = models.CharField(_("归属"), max_length=80, blank=True, help_text=_("如 disputes.case:42，用于按案件导出证明"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["index"]
        verbose_name = _("存证叶子")
        verbose_name_plural = _("存证叶子")
        indexes = [
            models.Index(fields=["ref_type", "ref_id"], name="ledger_leaf_ref"),
            models.Index(fields=["group"], name="ledger_leaf_group"),
        ]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class Node(AppendOnlyModel):
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("默克尔树节点")
        verbose_name_plural = _("默克尔树节点")
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="ledger_node_unique")]

    def __str__(self) -> str:
        return f"({self.level}, {self.index})"


class Checkpoint(AppendOnlyModel):
    size = models.BigIntegerField(_("树大小"), db_index=True)
    root_hash = models.BinaryField(_("根哈希"), max_length=32)
    note = models.TextField(_("签名检查点"))
    previous_size = models.BigIntegerField(_("上一检查点大小"), null=True, blank=True)
    consistency_proof = models.JSONField(_("与上一检查点的一致性证明"), default=list, blank=True)  # hex strings
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-size", "-id"]
        get_latest_by = "size"
        verbose_name = _("检查点")
        verbose_name_plural = _("检查点")

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class WitnessedCheckpoint(models.Model):
    """A signed checkpoint imported from elsewhere; ``consistent`` is re-evaluated by verify and the periodic job."""

    origin = models.CharField(_("日志标识"), max_length=200)
    size = models.BigIntegerField(_("树大小"))
    root_hash = models.BinaryField(_("根哈希"), max_length=32)
    note = models.TextField(_("签名检查点"))
    vkey = models.CharField(_("验证公钥"), max_length=200)
    source = models.CharField(_("来源"), max_length=120)
    imported_at = models.DateTimeField(default=timezone.now)
    consistent = models.BooleanField(_("一致"), null=True, blank=True)
    problem = models.CharField(_("问题"), max_length=300, blank=True)

    class Meta:
        ordering = ["origin", "size", "id"]
        verbose_name = _("见证检查点")
        verbose_name_plural = _("见证检查点")
        constraints = [
            models.UniqueConstraint(fields=["origin", "size", "source"], name="ledger_witness_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.origin} {self.size} ({self.source})"


class VerificationRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    tree_size = models.BigIntegerField(default=0)
    leaves_checked = models.BigIntegerField(default=0)
    checkpoints_checked = models.IntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        verbose_name = _("校验记录")
        verbose_name_plural = _("校验记录")

    def __str__(self) -> str:
        return f"verify {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'FAILED'}"
