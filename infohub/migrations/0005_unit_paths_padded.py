"""Unit paths with zero-padded ids (infohub.models.path_below), so that ordering by path is tree order."""

from django.db import migrations

DIGITS = 10  # infohub.models.PATH_DIGITS when this was written


def _rewrite(apps, pad: bool) -> None:
    Unit = apps.get_model("infohub", "Unit")
    parents = dict(Unit.objects.values_list("id", "parent_id"))
    paths: dict[int, str] = {}

    def path_of(pk: int) -> str:
        if pk not in paths:
            parent = parents[pk]
            step = f"{pk:0{DIGITS}d}" if pad else str(pk)
            paths[pk] = f"{path_of(parent) if parent else '/'}{step}/"
        return paths[pk]

    for pk in parents:
        Unit.objects.filter(pk=pk).update(path=path_of(pk))


class Migration(migrations.Migration):
    dependencies = [("infohub", "0004_field_labels")]

    operations = [
        migrations.RunPython(lambda apps, schema: _rewrite(apps, pad=True),
                             lambda apps, schema: _rewrite(apps, pad=False), elidable=False),
    ]
