"""Formatting helpers for templates; they format, never query."""

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
