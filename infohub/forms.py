from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator


class LoginForm(AuthenticationForm):
    """Django's login form, with the username's length checked before anyone tries to authenticate it (Django only
    sets the input's maxlength; a longer name reached the login-attempt log and overflowed it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators.append(MaxLengthValidator(self.fields["username"].max_length))

    def clean(self):
        if self.errors:  # a field already refused: do not try to log in with it
            return self.cleaned_data
        return super().clean()
