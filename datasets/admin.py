from django.contrib import admin

from .models import DatasetExport


@admin.register(DatasetExport)
class DatasetExportAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "state", "done", "total", "include_propagated", "seed", "size_bytes",
                    "created_by", "created_at", "finished_at"]
    list_filter = ["state", "include_propagated"]
    search_fields = ["name", "error"]
    readonly_fields = [f.name for f in DatasetExport._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # exports are made from the datasets page or `manage.py export_dataset`
