"""Forms of the public sign-up."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lms.models import Collectivity


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(
        label=_("First name (optional)"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    commune = forms.ModelChoiceField(
        queryset=Collectivity.objects.filter(kind=Collectivity.Kind.COMMUNE),
        required=False,
        label=_("Your commune (optional)"),
        help_text=_(
            "Counted anonymously in your commune's digital inclusion figures; no one there sees you."
        ),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        users = get_user_model().objects
        if users.filter(email__iexact=email).exists() or users.filter(username__iexact=email).exists():
            raise forms.ValidationError(
                gettext("An account already uses this email: log in or reset your password.")
            )
        return email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", gettext("The two passwords differ."))
        elif first:
            user = get_user_model()(
                username=data.get("email", ""),
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
            )
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
