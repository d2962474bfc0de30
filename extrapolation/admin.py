from django.contrib import admin

from .models import ExtrapolationJob


@admin.register(ExtrapolationJob)
class ExtrapolationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "sequence", "track", "state", "done", "total", "written", "left_to_annotator",
                    "attempts", "created_by", "created_at", "finished_at"]
    list_filter = ["state", "sequence"]
    search_fields = ["id", "sequence__name", "track__tag__name", "error"]
    readonly_fields = [f.name for f in ExtrapolationJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # jobs are started from the annotation page or the API
