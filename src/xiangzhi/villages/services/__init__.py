"""Every write and every guard of 民主法治村 creation, a module per activity: :mod:`.records` (the one ``record()``
and the stage machine), :mod:`.cultivation` (规划, 培育 tasks and evidence, 提升), :mod:`.assessment` (申报, assessors,
考核), :mod:`.titles` (命名, 存量命名 registration, 复核) and :mod:`.standards` (the indicator checklists)."""
