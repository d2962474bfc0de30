from django.contrib import admin

from .models import LiveVideo, PreannotationJob, TrainedModel, TrainingRun


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "export", "state", "done", "total", "best_val_dice", "created_by", "created_at"]
    list_filter = ["state"]
    search_fields = ["name", "error"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # runs are started from the training page or `manage.py train_model`


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "export", "class_names", "input_size", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["run", "export", "checkpoint", "class_names", "finding_names", "input_size", "config",
                       "metrics", "created_by", "created_at"]


@admin.register(PreannotationJob)
class PreannotationJobAdmin(admin.ModelAdmin):
    list_display = ["id", "model", "sequence", "state", "done", "total", "written", "created_by", "created_at"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in PreannotationJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # started from the models page, the API or `manage.py preannotate`


@admin.register(LiveVideo)
class LiveVideoAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "width", "height", "fps", "frame_count", "created_by", "created_at"]
    search_fields = ["name"]
    readonly_fields = [f.name for f in LiveVideo._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # uploaded (and checked) on the models page; deleting one deletes its file
