"""Where each item stands along the review chain (Item.outcome…), kept by reviews.services; reviews' migration 0002
computes it for the items filed before."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("submissions", "0005_search_bigrams"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="outcome",
            field=models.CharField(
                blank=True, choices=[("in_review", "In review"), ("adopted", "Adopted"), ("not_adopted", "Not adopted"),
                                     ("returned", "Returned for revision"), ("merged", "Merged")],
                db_default="", default="", editable=False, max_length=12, verbose_name="where it stands"),
        ),
        migrations.AddField(
            model_name="item",
            name="adopted_level",
            field=models.CharField(
                blank=True, choices=[("central", "Central"), ("province", "Province"), ("city", "City"),
                                     ("county", "County / district"), ("township", "Township / subdistrict")],
                db_default="", default="", editable=False, max_length=10, verbose_name="highest level adopting"),
        ),
        migrations.AddField(
            model_name="item",
            name="outcome_trail",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=120),
        ),
        migrations.AddField(
            model_name="item",
            name="outcome_reason",
            field=models.TextField(blank=True, db_default="", default="", editable=False),
        ),
        migrations.AddField(
            model_name="item",
            name="outcome_composite",
            field=models.ForeignKey(
                blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                to="submissions.item"),
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["source_unit", "outcome", "-updated_at"], name="item_unit_outcome"),
        ),
    ]
