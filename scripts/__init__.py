"""Benchmarks, training, export and example tools; run each as ``.venv/bin/python scripts/<name>.py``.

A package so the tools share one set of helpers (:mod:`scripts.lib`: timing, statistics,
processes, reports, a fake upstream) and import each other the same way whether they run by path
or under the test suite. Test images come from the one image factory, ``tests/factories.py``.
Every tool run by path starts with the same two lines, which swap ``scripts/`` (what Python puts
first on ``sys.path`` for a script) for the repository root, so ``scripts.lib``, ``tests`` and
``headroom_edge`` all import from this checkout.
"""
