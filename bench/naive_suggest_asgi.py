"""The project's ASGI application with the console's suggestions swapped for the first version
(bench/naive_suggest.py: every part computed per request through the ORM, no caches):
bench/console.py serves it from daphne as `naive_suggest_asgi:application`, the baseline."""

from config.asgi import application  # noqa: F401  (sets Django up)


def use_naive_suggest() -> None:
    from naive_suggest import naive_suggest

    import console.api

    console.api.suggest = naive_suggest


use_naive_suggest()
