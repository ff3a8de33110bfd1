"""Form fields of Tremplin's forms and admin forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, models, router


def _out_of_range(queryset, key: str, value) -> bool:
    """Whether ``value`` is an integer the database cannot hold in the column ``key`` of the queryset's model.

    SQLite's driver raises ``OverflowError`` on an integer beyond 64 bits, where any other unknown id matches
    nothing; Django guards its own integer lookups, not a primary key that is a relation (a Wagtail page's).
    """
    model = queryset.model
    field = model._meta.pk if key == "pk" else model._meta.get_field(key)
    while field.is_relation:
        field = field.target_field
    if not isinstance(field, models.IntegerField):
        return False
    try:
        number = int(value)
    except (TypeError, ValueError):
        return False  # Django reports it as it does any unknown choice
    low, high = connections[router.db_for_read(model)].ops.integer_field_range(field.get_internal_type())
    return (low is not None and number < low) or (high is not None and number > high)


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A choice of an object that refuses an id out of the database's integer range as an invalid choice
    (a crafted form, never a choice offered), rather than failing with a 500 on SQLite."""

    def to_python(self, value):
        if value not in self.empty_values and _out_of_range(self.queryset, self.to_field_name or "pk", value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """:class:`BoundedModelChoiceField` for a multiple choice of objects."""

    def _check_values(self, value):
        if not isinstance(value, (str, bytes)):
            for item in value:
                if _out_of_range(self.queryset, self.to_field_name or "pk", item):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item}
                    )
        return super()._check_values(value)


def with_bounded_choices(form_class):
    """``form_class`` with bounded fields (above) for its choices of objects.

    For a form that Wagtail builds from a model viewset's fields.
    """

    class Form(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for field in self.fields.values():
                # The same field (label, widget, queryset) with the range check (the subclasses add no state).
                if type(field) is forms.ModelMultipleChoiceField:
                    field.__class__ = BoundedModelMultipleChoiceField
                elif type(field) is forms.ModelChoiceField:
                    field.__class__ = BoundedModelChoiceField

    Form.__name__ = Form.__qualname__ = form_class.__name__
    return Form
