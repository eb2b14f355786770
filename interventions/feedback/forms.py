"""What every public form of the living catalogue shares: the design system's input classes, and
each input pointed at its hint and its error messages (the ids templates/feedback/_field.html
gives them), so a screen reader reads them with the field."""

from __future__ import annotations

from django import forms


class DescribedForm(forms.Form):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue  # the template lays out each box itself
            css = "form-select" if isinstance(widget, forms.Select) else "form-input"
            widget.attrs.setdefault("class", css)
            if isinstance(widget, forms.SelectMultiple):
                widget.attrs["size"] = 8
        self._describe()

    def full_clean(self) -> None:
        super().full_clean()
        self._describe()

    def _describe(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = [f"{bound.auto_id}-hint"] if field.help_text else []
            errors = (self._errors or {}).get(name, [])  # none until the form is cleaned
            ids += [f"{bound.auto_id}-error-{n}" for n in range(1, len(errors) + 1)]
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            if errors:
                field.widget.attrs["aria-invalid"] = "true"
