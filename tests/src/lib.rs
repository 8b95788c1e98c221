//! propc-tests: the integration test harness (tests live in `tests/tests/`).
