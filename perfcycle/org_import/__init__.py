"""HR's organisation import, a package because it is past the size of one module:
``parsing`` reads and validates the CSV (pure, no database), ``services`` writes the
result, ``forms``, ``views`` and ``urls`` are the upload, report, apply and discard pages.
"""
