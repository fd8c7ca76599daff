"""Answers that guide: what kind of matter a question is, what the villager can do next, the time limits and the
evidence to keep — read from the guidance legal workers keep per kind of matter (MatterGuidance), never from code.

``answer_kinds`` reads the kinds of matter the engine saw (primary first); ``guide_for`` composes one guide for an
answered question from the guidance of each of its kinds (the steps, limits and evidence of all kinds, in order, each
said once), with the one-tap link to apply for mediation here. A low-confidence answer gets no guide: the villager is
told plainly and offered a person, and the robot's guess (kinds, ranked articles) stays on the question for the
legal worker. The write (``services.save_guidance``) is the workbench's and the API's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from .models import MatterGuidance, Question, StepAction

NO_KIND = {"", "其他"}  # the classifier's "no particular kind": no guidance is looked up for it


def answer_kinds(answer: Any) -> list[str]:
    """The kinds of matter of an engine answer, primary first, each once (``topics`` when the engine gives it, else
    its one ``topic``)."""
    kinds = getattr(answer, "topics", None) or [getattr(answer, "topic", "")]
    return [k for k in dict.fromkeys(str(k) for k in kinds) if k not in NO_KIND]


def kinds_of(question: Question) -> list[str]:
    """A stored question's kinds of matter (``topics``; older rows only have ``topic``)."""
    return [k for k in dict.fromkeys(question.topics or [question.topic]) if k not in NO_KIND]


def guidance_by_kind(kinds: list[str]) -> dict[str, MatterGuidance]:
    return {g.kind: g for g in MatterGuidance.objects.filter(kind__in=kinds)} if kinds else {}


def mediation_url(kind: str, question: str = "", *, village: str = "") -> str:
    """The citizens' dispute application (桐解码) pre-filled with the matter and the question, or "" without it."""
    try:
        base = reverse("disputes:apply")
    except NoReverseMatch:
        return ""
    from xiangzhi.disputes.selectors import dispute_type_code

    params = {"type": dispute_type_code(kind), "description": question[:500], "v": village}
    query = urlencode({k: v for k, v in params.items() if v})
    return base + ("?" + query if query else "")


@dataclass
class Step:
    label: str
    detail: str = ""
    action: str = ""
    url: str = ""  # the one-tap link of the action (apply for mediation)


@dataclass
class Guide:
    """What the chat page and the API show above the articles."""

    kinds: list[dict] = field(default_factory=list)  # [{"kind", "summary", "office"}] primary first
    steps: list[Step] = field(default_factory=list)
    time_limits: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    offices: list[str] = field(default_factory=list)  # the bodies that handle it, each once
    low_confidence: bool = False  # the answer says plainly that the robot is unsure and offers a person

    @property
    def empty(self) -> bool:
        return not (self.kinds or self.steps or self.time_limits or self.evidence)


def compose(kinds: list[str], guidance: dict[str, MatterGuidance], *, question: str = "", village: str = "") -> Guide:
    """One guide from the guidance of ``kinds`` (primary first): each kind named with its summary and office; the
    steps, limits and evidence of all kinds in order, a step of the same label or a sentence said once."""
    guide = Guide()
    labels: set[str] = set()
    for kind in kinds:
        g = guidance.get(kind)
        if g is None:
            continue
        guide.kinds.append({"kind": kind, "summary": g.summary, "office": g.office})
        for s in g.steps:
            label = (s.get("label") or "").strip()
            if not label or label in labels:
                continue
            labels.add(label)
            action = s.get("action") or ""
            url = mediation_url(kind, question, village=village) if action == StepAction.MEDIATION else ""
            guide.steps.append(Step(label=label, detail=s.get("detail") or "", action=action, url=url))
        guide.time_limits += [t for t in g.time_limits if t not in guide.time_limits]
        guide.evidence += [e for e in g.evidence if e not in guide.evidence]
        offices = [o.strip() for o in re.split(r"[；;]", g.office) if o.strip()]
        guide.offices += [o for o in offices if o not in guide.offices]
    return guide


def is_low_confidence(question: Question) -> bool:
    """The robot was not sure (the engine's hand-off flag made the answer a hand-off offer)."""
    return question.kind == Question.Kind.HANDOFF


def guides_for(questions: list[Question]) -> dict[int, Guide]:
    """The guide of each question (one query for all): a full guide for an answer, the plain low-confidence notice
    for a hand-off offer, nothing for a clarifying question or a refused one."""
    wanted = [q for q in questions if q.kind in (Question.Kind.ANSWER, Question.Kind.HANDOFF)]
    guidance = guidance_by_kind(sorted({k for q in wanted for k in kinds_of(q)}))
    out: dict[int, Guide] = {}
    for q in questions:
        if q.kind == Question.Kind.ANSWER:
            village = q.conversation.region.code if q.conversation.region_id else ""
            out[q.pk] = compose(kinds_of(q), guidance, question=q.text, village=village)
        elif q.kind == Question.Kind.HANDOFF:
            out[q.pk] = Guide(low_confidence=True)
        else:
            out[q.pk] = Guide()
    return out


def guide_for(question: Question) -> Guide:
    return guides_for([question])[question.pk]


def step_out(step: Step) -> dict:
    return {"label": step.label, "detail": step.detail, "action": step.action, "url": step.url}
