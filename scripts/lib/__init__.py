"""Helpers shared by the tools in scripts/: timing (:mod:`.measure`), order statistics
(:mod:`.stats`), child processes (:mod:`.procs`), report writers and the fake upstream."""
