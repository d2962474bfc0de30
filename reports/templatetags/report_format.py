"""Formatting a report's figures: durations as m:ss, shares as percentages."""

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """Seconds → "m:ss" ("h:mm:ss" from an hour); "—" for None."""
    if seconds is None:
        return "—"
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def percent(share) -> str:
    """0.1234 → "12.3 %"; "—" for None."""
    return "—" if share is None else f"{float(share) * 100:.1f} %"
