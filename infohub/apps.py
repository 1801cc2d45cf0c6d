from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfohubConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "infohub"
    verbose_name = _("Information network")

    def ready(self):
        from .models import register_audit_actions

        # Written by infohub.access, whichever door the classified item was read through.
        register_audit_actions({"item.view": _("opened (classified)"), "item.print": _("printed (classified)")})
        # Written by infohub.roster: the roster workbook loaded or exported from the admin.
        register_audit_actions({"roster.import": _("imported the roster workbook"),
                                "roster.export": _("exported the roster workbook")})

        from django.db.models.signals import post_delete, post_save

        from . import listcache
        from .models import Unit, User
        from .tree import forget_units

        post_save.connect(forget_units, sender=Unit, dispatch_uid="infohub.forget_units.save")
        post_delete.connect(forget_units, sender=Unit, dispatch_uid="infohub.forget_units.delete")

        # Every list names units and people.
        def names_changed(sender, update_fields=None, **kwargs):
            if not (update_fields and set(update_fields) <= {"last_login", "password"}):  # a login is no new name
                listcache.changed(listcache.NAMES)

        for model in (Unit, User):
            post_save.connect(names_changed, sender=model, weak=False,
                              dispatch_uid=f"infohub.listcache.{model.__name__}.save")
            post_delete.connect(names_changed, sender=model, weak=False,
                                dispatch_uid=f"infohub.listcache.{model.__name__}.delete")
