"""What tests share besides fixtures: helpers, constants, receivers and servers.

Fixtures stay in `conftest.py` (they may call these); no test module imports from a conftest
(`tests/architecture/test_tests_import_no_conftest.py`).
"""
