from tests.dispatch.conftest import as_user, users  # noqa: F401  (the demo users and logged-in clients)
