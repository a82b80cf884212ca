from __future__ import annotations

from typing import Any

from django import forms

from printconnect.clients.models import Client
from printconnect.integrations.models import Feed, FeedRun
from printconnect.integrations.services.feed_settings import INTERVAL_PERIODS, FeedSchedule, schedule_of


class FeedScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label="Runs",
        choices=[("interval", "Every …"), ("crontab", "On a crontab"), ("none", "Only when someone clicks Run now")],
        widget=forms.RadioSelect,
    )
    every = forms.IntegerField(label="Every", min_value=1, max_value=10_000, required=False)
    period = forms.ChoiceField(label="Unit", choices=[(p, p) for p in INTERVAL_PERIODS], required=False)
    crontab = forms.CharField(
        label="Crontab",
        required=False,
        max_length=200,
        help_text="minute hour day-of-month month day-of-week, e.g. “0 3 * * *” for 03:00 every day.",
    )
    timezone = forms.CharField(label="Time zone", required=False, initial="UTC", max_length=60)
    enabled = forms.BooleanField(label="Feed switched on", required=False)

    def __init__(self, *args: Any, feed: Feed, **kwargs: Any) -> None:
        current = schedule_of(feed)
        kwargs.setdefault(
            "initial",
            {
                "kind": current.kind,
                "every": current.every or 15,
                "period": current.period or "minutes",
                "crontab": current.crontab or "0 3 * * *",
                "timezone": current.timezone,
                "enabled": feed.enabled,
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == "interval" and not data.get("every"):
            self.add_error("every", "Say how often, e.g. 15 (minutes).")
        if data.get("kind") == "crontab" and not (data.get("crontab") or "").strip():
            self.add_error("crontab", "Write the crontab, e.g. “0 3 * * *”.")
        return data

    @property
    def schedule(self) -> FeedSchedule:
        data = self.cleaned_data
        return FeedSchedule(
            kind=data["kind"],
            every=data.get("every"),
            period=data.get("period") or "",
            crontab=(data.get("crontab") or "").strip(),
            timezone=(data.get("timezone") or "UTC").strip(),
        )


class RunFilterForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.order_by("name"), required=False, empty_label="All clients")
    store = forms.IntegerField(required=False, widget=forms.HiddenInput)
    store_name = forms.CharField(required=False, max_length=200, label="Store", help_text="part of its name")
    feed = forms.ChoiceField(choices=[("", "All feeds"), *Feed.Kind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *FeedRun.Status.choices], required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")


class ModeChangeForm(forms.Form):
    reason = forms.CharField(label="Why back to test mode?", required=False, max_length=300, widget=forms.TextInput)
