"""Learning records from online platforms as xAPI statements (IEEE 9274.1.1).

``model``: the statement data model and its checks; ``lrs``: the statement store;
``apply``: statements → canonical records (the mapping table is in its docstring);
``hours``: online 学时 from course durations.  The HTTP side is ``api/routes/xapi.py``.
"""
