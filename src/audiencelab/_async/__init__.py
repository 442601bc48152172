"""The asynchronous client and its resources: the source of the synchronous ones.

``audiencelab/_sync`` is generated from this package by ``scripts/unasync.py`` (``async def`` ->
``def``, ``await x`` -> ``x``, ``AsyncPager`` -> ``Pager``...), so the two clients have the same
methods, signatures and docstrings by construction. Edit these files, then run
``python scripts/unasync.py``; a test fails when the generated files are out of date.
"""
