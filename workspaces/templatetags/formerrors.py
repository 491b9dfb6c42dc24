"""Every error of a Settings form at once, on top of it, with its fields marked:

    {% load formerrors %}
    {% form_errors form %}   → the summary (templates/_form_errors.html); each invalid field's
                               widget gets class="invalid" (Django adds aria-invalid="true")

Put it before the fields: it marks their widgets before they render.
"""

from django import template
from django.template.loader import render_to_string

register = template.Library()


def error_summary(*forms) -> list[str]:
    """Return the forms' errors, non-field ones first, then "Label: message" per field."""
    summary = []
    for form in forms:
        if form is None or not form.is_bound:
            continue
        summary.extend(form.non_field_errors())
        for name, problems in form.errors.items():
            if name == "__all__":
                continue
            field = form.fields.get(name)
            label = (field.label if field and field.label else name.replace("_", " ")).rstrip(":")
            summary.extend(f"{label.capitalize()}: {problem}" for problem in problems)
            if field is not None:
                classes = field.widget.attrs.get("class", "")
                if "invalid" not in classes.split():
                    field.widget.attrs["class"] = f"{classes} invalid".strip()
    return summary


@register.simple_tag
def form_errors(*forms) -> str:
    """Render the summary of the forms' errors and mark their invalid fields."""
    return render_to_string("_form_errors.html", {"summary": error_summary(*forms)})
