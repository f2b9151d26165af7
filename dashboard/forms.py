"""The list page's own parameters, beside the FilterSet's: which page, how many rows, and
the bulk actions' input. Bad values are form errors, never exceptions."""

import uuid

from django import forms

from dashboard.tables import DEFAULT_PER_PAGE, PER_PAGE_CHOICES
from errors.filters import BoundedIsoDateTimeField


class PageForm(forms.Form):
    page = forms.IntegerField(min_value=1, required=False)
    per_page = forms.TypedChoiceField(
        choices=[(str(n), str(n)) for n in PER_PAGE_CHOICES],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PER_PAGE,
    )

    def page_and_size(self) -> tuple[int, int]:
        """The requested page and page size, or the defaults for whatever was invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("page") or 1, data.get("per_page") or DEFAULT_PER_PAGE


class UUIDListField(forms.Field):
    """Several ``ids`` values, each a UUID."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[uuid.UUID]:
        if not value:
            return []
        try:
            return [uuid.UUID(str(item)) for item in value]
        except (ValueError, TypeError, AttributeError) as exc:
            raise forms.ValidationError("Select errors by their ids.", code="invalid") from exc


class BulkResolveForm(forms.Form):
    """Either the selected ids, or every error matching the current filter (``scope=all``).
    Nothing is written until ``confirmed`` is set: without JavaScript the confirmation is a
    page of its own."""

    ids = UUIDListField(required=False)
    scope = forms.ChoiceField(choices=[("selected", "selected"), ("all", "all")])
    confirmed = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("scope") == "selected" and not data.get("ids") and "ids" not in self.errors:
            raise forms.ValidationError("Select at least one error to resolve.")
        return data


class SinceForm(forms.Form):
    """The moment a list page was rendered, which its live notice counts from."""

    since = BoundedIsoDateTimeField()
