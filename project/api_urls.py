from django.urls import include, path

from infohub.apis import MeApi, MyUnitsApi, TokenApi

urlpatterns = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("me/units/", MyUnitsApi.as_view(), name="api-my-units"),
    path("", include("submissions.api_urls")),
    path("", include("reviews.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include("publications.api_urls")),
    path("", include("instructions.api_urls")),
    path("", include("topics.api_urls")),
    path("", include("assessment.api_urls")),
]
