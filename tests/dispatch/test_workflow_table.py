"""The state machine's table: the docs page is generated from it, every state is reachable, and a
transition from a state it does not list is refused with the reason."""

from pathlib import Path

import pytest
from django.core.management import call_command

from dispatch.exceptions import TransitionNotAllowed
from dispatch.models import Status, Ticket
from dispatch.workflow import BY_NAME, NEW, SAME, TRANSITIONS, check, path_is_valid, render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "workflow.md"


def test_docs_workflow_md_is_the_rendered_transition_table():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), "run: manage.py render_workflow"


def test_render_workflow_check_passes():
    call_command("render_workflow", "--check")


def test_every_state_is_reachable_from_intake():
    reached, frontier = set(), {NEW}
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in t.sources:
                for target in t.targets:
                    nxt = state if target == SAME else target
                    if nxt not in reached:
                        reached.add(nxt)
                        frontier.add(nxt)
    assert reached >= {s.value for s in Status}


def test_every_transition_cites_a_domain_rule_and_names_its_actor():
    for t in TRANSITIONS:
        assert t.rule.split("-")[0] in {"IN", "AS", "HD", "SLA", "CB", "SV", "CT", "AR"}, t.name
        assert t.actor and t.summary
    assert len(BY_NAME) == len(TRANSITIONS)


def test_a_transition_from_a_state_it_does_not_list_is_refused_with_the_reason():
    with pytest.raises(TransitionNotAllowed) as exc:
        check(Ticket(status=Status.ARCHIVED), "sign_for")
    assert exc.value.extra["status"] == "archived" and exc.value.code == "state_forbids"
    assert check(Ticket(status=Status.IN_PROGRESS), "reply")[1] == Status.REPLIED


def test_paths():
    assert path_is_valid([("accept_intake", "dispatched"), ("sign_for", "in_progress"), ("reply", "replied")])
    assert not path_is_valid([("accept_intake", "dispatched"), ("reply", "replied")])
    assert not path_is_valid([("refuse_intake", "refused"), ("sign_for", "in_progress")])
