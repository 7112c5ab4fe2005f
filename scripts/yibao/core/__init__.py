"""The foundation every layer builds on: records, the schema set, codes, diagnostics, dates and scope.

Nothing here reads the repository or imports another yibao layer.
"""
