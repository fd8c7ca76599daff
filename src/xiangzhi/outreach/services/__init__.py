"""Every write and every guard of 精准普法, a module per activity: :mod:`.records` (the one ``record()``),
:mod:`.alerts` (rules and their evaluation), :mod:`.claims` (抢单), :mod:`.answers` (audio/video answers, review,
publishing) and :mod:`.push` (the audience's deliveries)."""
