from django.contrib import admin
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils.html import format_html

from .models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "procedure", "swatch", "mask_count", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["kind", "procedure", "is_active"]
    search_fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_mask_count=Count("masks"))

    @admin.display(description="colour")
    def swatch(self, tag: Tag) -> str:
        return format_html("{} {}", render_to_string("includes/swatch.html", {"color": tag.color}), tag.color)

    @admin.display(description="masks", ordering="_mask_count")
    def mask_count(self, tag: Tag) -> int:
        return tag._mask_count
