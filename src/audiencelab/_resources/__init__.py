"""Resource namespaces of the clients (``client.audiences`` ...): one sync and one async class each.

Each method is one line: the pure operation from ``_operations`` handed to the client.
"""
