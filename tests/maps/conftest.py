"""Maps tests reuse the ticket helpers: demo users, places, tickets made through intake."""

from tests.dispatch.conftest import as_user, users  # noqa: F401  (fixtures)
