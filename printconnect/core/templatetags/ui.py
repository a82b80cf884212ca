"""Formatting helpers for templates; they format, never query."""

from datetime import datetime

from django import template
from django.forms import BoundField

register = template.Library()


@register.filter
def add_class(field: BoundField, css: str) -> str:
    existing = field.field.widget.attrs.get("class", "")
    if field.errors:
        css = f"{css} is-invalid"
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def widget_type(field: BoundField) -> str:
    return field.field.widget.__class__.__name__


@register.simple_tag(takes_context=True)
def nav_active(context: template.Context, *prefixes: str) -> str:
    path = context["request"].path
    return "active" if any(path.startswith(prefix) for prefix in prefixes) else ""


@register.filter
def duration(start: datetime | None, end: datetime | None) -> str:
    """Elapsed time between two moments, short: "0.4 s", "12 s", "3 min 4 s", "2 h 5 min"."""
    if start is None or end is None:
        return ""
    seconds = max((end - start).total_seconds(), 0.0)
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def last_line(text: str) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
