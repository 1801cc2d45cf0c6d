from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The top layer: the start page, the root URLs and the demo data. It imports every app; none imports it."""

    name = "project"
    verbose_name = "InfoHub"
