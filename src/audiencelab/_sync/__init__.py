"""The synchronous client and its resources, generated from ``audiencelab/_async``
by ``scripts/unasync.py``: do not edit these files."""
