"""Loading the committed reference data (loaders/reference/*.json): the category
taxonomy, SLA policies, refusal rules, knowledge base and example routing rules.

What the center has edited in admin stays as it is: a row already present is
left alone unless `reset` asks to overwrite it with the file's values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from dispatch.models import Category, KnowledgeArticle, RefusalRule, RoutingRule, SlaPolicy
from dispatch.routing import invalidate
from grid.models import Office

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


class ReferenceError(Exception):
    """A reference file names something that does not exist."""


@dataclass
class LoadReport:
    categories: int = 0
    sla_policies: int = 0
    refusal_rules: int = 0
    articles: int = 0
    routing_rules: int = 0

    def __str__(self) -> str:
        return (
            f"{self.categories} categories, {self.sla_policies} SLA policies, {self.refusal_rules} refusal rules, "
            f"{self.articles} knowledge-base articles, {self.routing_rules} routing rules"
        )


def _read(directory: Path, name: str):
    return json.loads((directory / name).read_text(encoding="utf-8"))


def _put(model, lookup: dict, values: dict, *, reset: bool):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True
    if reset:
        for k, v in values.items():
            setattr(obj, k, v)
        obj.save()
    return obj, False


@transaction.atomic
def load_reference(*, directory: Path = REFERENCE_DIR, reset: bool = False) -> LoadReport:
    report = LoadReport()
    departments = {o.code: o for o in Office.objects.filter(kind=Office.Kind.DEPARTMENT)}
    for sort, top in enumerate(_read(directory, "categories.json")):
        department = departments.get(top["department"])
        if department is None:
            raise ReferenceError(f"categories.json: {top['name']} names unknown department {top['department']}")
        if top["name"] not in department.remit:
            raise ReferenceError(
                f"categories.json: {top['name']} is not in {department.name}'s remit {department.remit}"
            )
        parent, _ = _put(
            Category,
            {"code": top["code"]},
            {"name": top["name"], "default_department": department, "sort": sort, "parent": None},
            reset=reset,
        )
        for leaf_sort, leaf in enumerate(top["children"]):
            _put(
                Category,
                {"code": leaf["code"]},
                {
                    "name": leaf["name"],
                    "parent": parent,
                    "default_department": departments.get(leaf.get("department", top["department"])),
                    "lead": leaf["lead"],
                    "community_can_settle": leaf["community_can_settle"],
                    "township_co_handles": leaf["township_co_handles"],
                    "major_livelihood": top.get("major_livelihood", False),
                    "keywords": leaf.get("keywords", []),
                    "sort": leaf_sort,
                },
                reset=reset,
            )
            report.categories += 1
    for p in _read(directory, "sla_policies.json"):
        # By name: a shipped alternative (the Suqian 12 h policy [SLA-2]) comes inactive, and which
        # policy is active for an urgency and kind is the center's choice in admin, kept on reload.
        obj, created = _put(SlaPolicy, {"name": p["name"]}, {k: v for k, v in p.items() if k != "name"}, reset=False)
        if reset and not created:
            for k, v in p.items():
                if k not in ("name", "is_active"):
                    setattr(obj, k, v)
            obj.save()
        report.sla_policies += 1
    for r in _read(directory, "refusal_rules.json"):
        existing = RefusalRule.objects.filter(reason=r["reason"], keywords__overlap=r["keywords"][:1]).first()
        if existing is None:
            RefusalRule.objects.create(**r)
        elif reset:
            RefusalRule.objects.filter(pk=existing.pk).update(**r)
        report.refusal_rules += 1
    categories = {c.code: c for c in Category.objects.all()}
    for a in _read(directory, "knowledge_base.json"):
        code = a.get("category")
        if code and code not in categories:
            raise ReferenceError(f"knowledge_base.json: {a['question']} names unknown category {code}")
        _put(
            KnowledgeArticle,
            {"question": a["question"]},
            {"answer": a["answer"], "keywords": a["keywords"], "category": categories.get(code) if code else None},
            reset=reset,
        )
        report.articles += 1
    for r in _read(directory, "routing_rules.json"):
        values = {k: v for k, v in r.items() if k not in ("name", "category", "office")}
        values["category"] = categories.get(r["category"]) if r.get("category") else None
        values["office"] = Office.objects.filter(code=r["office"]).first() if r.get("office") else None
        _put(RoutingRule, {"name": r["name"]}, values, reset=reset)
        report.routing_rules += 1
    transaction.on_commit(invalidate)
    invalidate()
    return report
