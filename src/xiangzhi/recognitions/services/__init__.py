"""Every write and every guard of recognitions, a module per activity: :mod:`.records` (the one ``record()``),
:mod:`.selection` (nomination, the one ``transition()``, objections, training, quotas) and :mod:`.efadai` (consent
codes, bank checks, loans)."""
