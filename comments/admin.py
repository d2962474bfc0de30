from django.contrib import admin

from .models import Comment


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "frame", "mask", "short_text", "created_by", "created_at")
    list_filter = ("frame__sequence",)
    search_fields = ("text", "created_by__username")
    raw_id_fields = ("frame", "mask")
    readonly_fields = ("created_at",)

    @admin.display(description="Text")
    def short_text(self, comment: Comment) -> str:
        return comment.text if len(comment.text) <= 80 else f"{comment.text[:79]}…"
