"""Admin forms as a browser posts them: every field of a rendered change or history page."""

from django import forms


def form_fields(form: forms.BaseForm) -> dict:
    """The form's fields with the values the page shows, keyed by their HTML names."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
            continue
        data[bound.html_name] = "" if value is None else value
    return data


def posted(response, **changes) -> dict:
    """The POST the page in `response` sends when saved, with `changes` (HTML names) applied.

    A checkbox is left out (unticked) when its change is None.
    """
    context = response.context
    data = form_fields(context["adminform"].form)
    for inline in context.get("inline_admin_formsets") or []:
        formset = inline.formset
        data.update(form_fields(formset.management_form))
        for form in formset.forms:
            data.update(form_fields(form))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data
