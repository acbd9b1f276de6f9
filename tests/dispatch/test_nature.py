"""Nature classes A–D [IN-3]: a class A matter is a focus case [SV-3] whose reply the unit's leader signs
off [HD-2]; classes B–D change nothing beyond kind and urgency (docs/rules.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dispatch.services import contact_caller, reply, sign_for
from tests.helpers import WATER_REPLY, make_ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("nature, focus", [("A", True), ("B", False), ("C", False), ("D", False), ("", False)])
def test_a_class_a_matter_is_a_focus_case_IN_3_SV_3(nature, focus):
    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知", nature=nature)
    assert ("nature_a" in t.focus_reasons) is focus


def test_a_class_a_reply_is_signed_off_by_the_units_leader_not_its_handler_IN_3_HD_2(users):
    t = make_ticket(category="0801", description="长青社区停水一整天了没有通知", nature="A")
    water = users["water_handler"]
    sign_for(ticket=t, by=water)
    contact_caller(ticket=t, by=water, note="电话联系来电人")  # [HD-1]
    with pytest.raises(ValidationError) as refused:
        reply(ticket=t, by=water, **{**WATER_REPLY, "signer": "郑丽娟", "handler_name": "郑丽娟"})
    assert "signer" in refused.value.message_dict
    answer = reply(ticket=t, by=water, **WATER_REPLY)  # signed off by 供水公司 孙经理
    assert answer.signer != answer.handler_name

    b = make_ticket(category="0801", description="长青社区又停水了没有通知", nature="B")
    sign_for(ticket=b, by=water)
    contact_caller(ticket=b, by=water, note="电话联系来电人")
    reply(ticket=b, by=water, **{**WATER_REPLY, "signer": "郑丽娟", "handler_name": "郑丽娟"})  # class B: allowed
