"""Every write of 桐解码, one module per part of the work (the shape of zulip's ``actions/``):

- ``records``: :func:`records.record`, the one way a change of a case is written — audit row, timeline event, ledger
  leaves, queued notifications, in the caller's transaction — and ``records.Batch``, its form for many changes (one
  INSERT per table, one ledger append), which the demo year and the importer write through;
- ``transitions``: the state machine, the only writer of ``Case.stage`` (``transition`` for one case, ``advance`` for
  many);
- ``routing``: the dispute types, the routing table, the organisation a case goes to;
- ``uploads``: files checked by content, stored, attached to a case;
- ``intake``: registration from every channel, numbers and tokens (一案一码), triage corrections; ``create_cases``
  and ``create_historical`` for many cases at once (the demo year, the import);
- ``mediation``: assignment confirmation (one case or many), sessions, consent, withdrawal;
- ``agreement``: signatures, the seal, the agreement taking effect;
- ``deadlines``: the working-day calendar, risk, extension, the periodic colour pass;
- ``joint``, ``judicial``, ``feedback``: joint handling, judicial confirmation, feedback and follow-up;
- ``documents``: documents and the case file handed out, with the personal-data reveal;
- ``importing``: the import job of historical cases.

Callers import the module they need (``from xiangzhi.disputes.services import intake``); permission predicates are
in ``disputes.rules``, scoped reads in ``disputes.selectors``. Siblings import each other one way (records at the
bottom; checked by ``tests/disputes/test_services_shape.py``).
"""
