"""What the survey pages offer this user: asked of dispatch.policy, never decided in a template."""

from django import template

from dispatch import policy

register = template.Library()


@register.filter
def runs_surveys(user) -> bool:
    return policy.may_run_surveys(user)


@register.filter
def works_call_lists(user) -> bool:
    return policy.may_work_call_lists(user)
