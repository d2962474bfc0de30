from django.contrib import admin

from .models import ProcedureReport


@admin.register(ProcedureReport)
class ProcedureReportAdmin(admin.ModelAdmin):
    list_display = ["id", "source", "sequence", "live_video", "model", "procedure", "created_at"]
    list_filter = ["source", "procedure"]
    exclude = ["probabilities", "detections", "frame_indices", "thumbnails"]  # thousands of numbers each
    readonly_fields = ["source", "sequence", "live_video", "model", "preannotation", "procedure", "fps", "names",
                       "thresholds", "kinds", "data", "created_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # made by pre-annotation and the live page
