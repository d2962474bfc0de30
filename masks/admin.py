from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts import roles
from sequences.models import frame_number

from .models import EffortEvent, Mask, Point, Track
from .selectors import effort_of_masks, format_seconds


class PointInline(admin.TabularInline):
    model = Point
    fields = ["order", "sign", "x", "y"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Mask)
class MaskAdmin(admin.ModelAdmin):
    list_display = [
        "id", "tag", "frame", "swatch", "area", "source", "track", "confidence", "segmenter", "created_by",
        "created_at",
    ]
    list_filter = ["tag__kind", "tag", "source", "segmenter", "frame__sequence"]
    search_fields = ["tag__name", "frame__sequence__name", "created_by__username"]
    list_select_related = ["tag", "frame__sequence", "created_by"]
    readonly_fields = [
        "overlay", "frame", "file", "area", "bbox_x", "bbox_y", "bbox_width", "bbox_height",
        "segmenter", "score", "source", "track", "keyframe", "confidence", "reviewed_by", "reviewed_at",
        "created_by", "created_at", "effort",
    ]
    fields = ["overlay", "tag", "color", *readonly_fields[1:]]
    inlines = [PointInline]

    def has_add_permission(self, request) -> bool:
        # A mask is made on the annotation page or through the API, where its file is written with it.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # As on the annotation page and in the API: its author deletes a mask, a reviewer anyone's (the admin's
        # bulk delete asks this of every selected mask). Its file goes with the row (``core.files``).
        if obj is None:
            return super().has_delete_permission(request)
        return roles.may_change(request.user, obj, own="masks.delete_mask", anyone="masks.review_mask")

    @admin.display(description="colour")
    def swatch(self, mask: Mask) -> str:
        return render_to_string("includes/swatch.html", {"color": mask.color})

    @admin.display(description="effort")
    def effort(self, mask: Mask) -> str:
        """The work people recorded on this mask (its EffortEvents)."""
        line = effort_of_masks(mask_ids=[mask.id]).get(mask.id)
        if line is None:
            return "none recorded"
        return (f"{line.clicks} clicks, {line.edits} brush edits, {line.corrections} corrections, "
                f"{format_seconds(line.work_seconds)} of work")

    @admin.display(description="mask over its frame")
    def overlay(self, mask: Mask) -> str:
        points = "".join(
            format_html(
                '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="white" stroke-width="{}"/>',
                p.x, p.y, max(3, mask.frame.width / 120), "#2ecc71" if p.sign == "+" else "#e74c3c",
                max(1, mask.frame.width / 400),
            )
            for p in mask.points.all()
        )
        # One SVG, sized by attributes (the Content-Security-Policy refuses style attributes): the frame, then the
        # mask's colour at half opacity through the mask PNG as a luminance mask (white = mask), then the points.
        width, height = mask.frame.width, mask.frame.height
        shown = min(720, width)
        return format_html(
            '<svg viewBox="0 0 {w} {h}" width="{sw}" height="{sh}" role="img">'
            '<defs><mask id="mask-{id}"><image href="{file}" width="{w}" height="{h}"/></mask></defs>'
            '<image href="{frame}" width="{w}" height="{h}"/>'
            '<rect width="{w}" height="{h}" fill="{color}" opacity="0.5" mask="url(#mask-{id})"/>{points}</svg>',
            w=width, h=height, sw=shown, sh=round(height * shown / width), id=mask.id, file=mask.file.url,
            frame=mask.frame.image.url, color=mask.color, points=mark_safe(points),
        )


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["id", "sequence", "tag", "swatch", "mask_count", "frames", "created_by", "created_at"]
    list_filter = ["tag", "sequence"]
    search_fields = ["sequence__name", "tag__name"]
    readonly_fields = ["sequence", "frames", "created_by", "created_at"]

    def get_queryset(self, request):
        from django.db.models import Count, Max, Min

        return super().get_queryset(request).annotate(
            _masks=Count("masks"), _first=Min("masks__frame__index"), _last=Max("masks__frame__index"),
        )

    @admin.display(description="masks", ordering="_masks")
    def mask_count(self, track: Track) -> int:
        return track._masks

    @admin.display(description="frames", ordering="_first")
    def frames(self, track: Track) -> str:
        """The frames the track spans, 1-based as the annotation page numbers them."""
        if track._first is None:
            return "–"
        first, last = frame_number(track._first), frame_number(track._last)
        return f"frame {first}" if first == last else f"frames {first}–{last}"

    @admin.display(description="colour")
    def swatch(self, track: Track) -> str:
        return render_to_string("includes/swatch.html", {"color": track.color})


@admin.register(EffortEvent)
class EffortEventAdmin(admin.ModelAdmin):
    """Read only: events are recorded as people work, never typed in."""

    list_display = ["id", "kind", "tag", "frame", "mask", "clicks", "correction", "work_seconds", "created_by",
                    "created_at"]
    list_filter = ["kind", "correction", "tag", "sequence"]
    search_fields = ["sequence__name", "tag__name", "created_by__username"]
    list_select_related = ["tag", "frame__sequence", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
