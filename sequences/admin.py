from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from .models import Frame, FrameSequence


class FrameInline(admin.TabularInline):
    model = Frame
    fields = ["number", "preview", "width", "height", "original_name"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    max_num = 0

    @admin.display(description="thumbnail")
    def preview(self, frame: Frame) -> str:
        return format_html('<img src="{}" height="48" alt="">', frame.thumbnail.url)

    @admin.display(description="frame", ordering="index")
    def number(self, frame: Frame) -> int:
        return frame.number


@admin.register(FrameSequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = [
        "name", "procedure", "status", "frame_count", "mask_count", "created_by", "created_at", "annotate_link",
    ]
    list_filter = ["procedure", "status", "created_at"]
    search_fields = ["name", "description", "source"]
    readonly_fields = ["source", "fps", "created_by", "created_at"]
    inlines = [FrameInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _frames=Count("frames", distinct=True), _masks=Count("frames__masks", distinct=True)
        )

    @admin.display(description="frames", ordering="_frames")
    def frame_count(self, sequence: FrameSequence) -> int:
        return sequence._frames

    @admin.display(description="masks", ordering="_masks")
    def mask_count(self, sequence: FrameSequence) -> int:
        return sequence._masks

    @admin.display(description="")
    def annotate_link(self, sequence: FrameSequence) -> str:
        return format_html('<a href="{}">annotate</a>', reverse("sequences:annotate", args=[sequence.id]))


@admin.register(Frame)
class FrameAdmin(admin.ModelAdmin):
    # People read frames 1-based (Frame.number), as the annotation page shows them; ``index`` is the API's.
    list_display = ["__str__", "sequence", "number", "width", "height", "original_name"]
    list_filter = ["sequence__procedure", "sequence"]
    search_fields = ["sequence__name", "original_name"]
    fields = ["sequence", "number", "api_index", "image", "thumbnail", "width", "height", "original_name", "picture"]
    readonly_fields = fields

    @admin.display(description="frame", ordering="index")
    def number(self, frame: Frame) -> int:
        return frame.number

    @admin.display(description="frame_index in the API (0-based)")
    def api_index(self, frame: Frame) -> int:
        return frame.index

    @admin.display(description="image")
    def picture(self, frame: Frame) -> str:
        return format_html('<img src="{}" width="{}" alt="">', frame.image.url, min(640, frame.width))
