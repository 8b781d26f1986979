"""Helpers of scripts/bench.py and scripts/bench_proxy.py (timing, reports, the fake upstream).

Imported as the package ``bench`` with ``scripts/`` on ``sys.path``: a directory package wins
over the ``bench.py`` module next to it, and ``bench.py`` itself only ever runs as ``__main__``
(the smoke test loads it by path under another name).
"""
