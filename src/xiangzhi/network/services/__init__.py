"""Every write of the public legal service network: records.py (the one record()), directory.py (sites, advisers,
assignments, teams, rosters, service logs), terminals.py (registry, tokens, visits), codes.py (有法码 and scans)."""
