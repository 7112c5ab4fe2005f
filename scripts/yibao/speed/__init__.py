"""How checks run fast, kept apart from what they check: the content cache, run keys, incremental
planning, worker pools and the garbage-collector policy. Nothing here decides whether a record is right.
"""
