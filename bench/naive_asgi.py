"""The project's ASGI application with intake's place lookup swapped for the naive baseline
(bench/naive.py): bench/dispatch.py serves it from daphne as `naive_asgi:application`."""

from naive import use_naive_locate

from config.asgi import application  # noqa: F401  (sets Django up)

use_naive_locate()
