"""JSON endpoint of tags."""

from django.http import HttpRequest

from core.api import json_view

from .models import Tag


def tag_json(tag: Tag) -> dict:
    return {
        "id": tag.id, "name": tag.name, "kind": tag.kind, "procedure": tag.procedure,
        "color": tag.color, "description": tag.description,
    }


@json_view(("GET",))
def tag_list(request: HttpRequest):
    return {"tags": [tag_json(t) for t in Tag.objects.filter(is_active=True)]}
