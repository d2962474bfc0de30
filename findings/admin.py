from django.contrib import admin

from .models import FrameFinding


@admin.register(FrameFinding)
class FrameFindingAdmin(admin.ModelAdmin):
    list_display = ["id", "tag", "sequence", "first_index", "last_index", "note", "created_by", "created_at"]
    list_filter = ["tag__kind", "tag", "sequence"]
    search_fields = ["tag__name", "sequence__name", "note"]
    list_select_related = ["tag", "sequence", "created_by"]
    readonly_fields = ["created_by", "created_at"]
