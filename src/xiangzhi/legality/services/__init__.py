"""Every write and every guard of 合法性审查, a module per activity: :mod:`.records` (the one ``record()``),
:mod:`.deadlines` (the review clock in working days), :mod:`.submissions` (submit, revise, issue) and :mod:`.review`
(assigning reviewers, opinions, overdue flags)."""
