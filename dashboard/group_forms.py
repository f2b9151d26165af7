"""The group page's own inputs: how long to mute, whether a resolve waits for the next
release. Bad values are form errors, never exceptions."""

import datetime

from django import forms
from django.utils import timezone

MUTE_DURATIONS = {
    "forever": None,
    "1h": datetime.timedelta(hours=1),
    "24h": datetime.timedelta(hours=24),
}


class ResolveGroupForm(forms.Form):
    in_next_release = forms.BooleanField(required=False)


class MuteGroupForm(forms.Form):
    """Mute for good (the default), for an hour or a day, or for the next N occurrences."""

    duration = forms.ChoiceField(
        choices=[(name, name) for name in MUTE_DURATIONS], required=False, initial="forever"
    )
    for_occurrences = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)

    def terms(self) -> dict:
        """The keyword arguments of ``mute_error_group`` for a valid form."""
        data = self.cleaned_data
        if data.get("for_occurrences"):
            return {"for_occurrences": data["for_occurrences"]}
        span = MUTE_DURATIONS[data.get("duration") or "forever"]
        return {"until": timezone.now() + span} if span else {}


class GroupIdsField(forms.Field):
    """Several ``ids`` values, each a group id."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        try:
            ids = [int(item) for item in value or ()]
        except (ValueError, TypeError) as exc:
            raise forms.ValidationError("Select groups by their ids.", code="invalid") from exc
        if any(not 0 < pk < 2**63 for pk in ids):
            raise forms.ValidationError("Select groups by their ids.", code="invalid")
        return ids


class BulkGroupForm(forms.Form):
    """Resolve or unresolve the ticked groups of the list."""

    ids = GroupIdsField(required=False)
    change = forms.ChoiceField(choices=[("resolve", "Resolve"), ("unresolve", "Unresolve")])

    def clean_ids(self) -> list[int]:
        ids = self.cleaned_data["ids"]
        if not ids:
            raise forms.ValidationError("Select at least one group.", code="required")
        return ids
