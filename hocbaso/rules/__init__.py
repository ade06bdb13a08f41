"""Assessment rules: :mod:`hocbaso.rules.tt27` (primary, Thông tư 27/2020) and
:mod:`hocbaso.rules.tt22` (lower and upper secondary, Thông tư 22/2021).

Pure functions over plain values (Decimal scores, level codes); no Odoo, no I/O.
"""
