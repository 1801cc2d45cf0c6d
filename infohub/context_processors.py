from django.conf import settings

from .models import Classification, Role
from .roles import role_map
from .selectors import unread_notifications


def infohub(request):
    user = getattr(request, "user", None)  # none on a page of an error raised before authentication (a 400)
    if user is None or not user.is_authenticated:
        return {}
    roles = role_map(user)
    return {
        "my_roles": set(roles),
        "Role": Role,
        # Loaded with the user (infohub.auth) unless they signed in by another way, e.g. an API token.
        "unread_count": user.unread_count if hasattr(user, "unread_count") else unread_notifications(user).count(),
        "accredited_maximum": Classification(settings.INFOHUB_MAX_CLASSIFICATION).label,
        "body_warn_length": settings.INFOHUB_BODY_WARN_LENGTH,
    }
