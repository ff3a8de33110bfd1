"""Choices of objects with an id no database column can hold: an invalid choice, not a server error (SQLite's
driver raises ``OverflowError`` on integers beyond 64 bits)."""

import pytest
from django.core.exceptions import ValidationError

from courses.models import CoursePage
from lms.form_fields import BoundedModelChoiceField, BoundedModelMultipleChoiceField
from lms.models import Collectivity

pytestmark = pytest.mark.django_db

HUGE = "9" * 20


@pytest.mark.parametrize("model", [Collectivity, CoursePage])
def test_a_chosen_id_beyond_64_bits_is_an_invalid_choice(model):
    with pytest.raises(ValidationError) as error:
        BoundedModelChoiceField(queryset=model.objects.all()).clean(HUGE)
    assert error.value.code == "invalid_choice"


def test_ids_beyond_64_bits_among_several_are_an_invalid_choice(commune):
    field = BoundedModelMultipleChoiceField(queryset=Collectivity.objects.all())
    with pytest.raises(ValidationError) as error:
        field.clean([str(commune.pk), HUGE])
    assert error.value.code == "invalid_choice"


def test_ids_in_range_are_chosen_as_before(commune):
    assert list(BoundedModelMultipleChoiceField(queryset=Collectivity.objects.all()).clean([commune.pk])) == [
        commune
    ]
