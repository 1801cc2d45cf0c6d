from django.db import migrations, models


class Migration(migrations.Migration):
    """When a rule set took effect (施行日期): quotas are owed from that month on. The rule sets made before keep what
    they were priced under: in force from the first day of their year."""

    dependencies = [
        ('assessment', '0003_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='ruleset',
            name='effective_from',
            field=models.DateField(null=True),
        ),
        migrations.RunSQL("UPDATE assessment_ruleset SET effective_from = make_date(year, 1, 1)",
                          reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='ruleset',
            name='effective_from',
            field=models.DateField(blank=True, help_text='Monthly quotas are charged for the months of the year from this date\'s month on, once each month has ended. Empty: today for a rule set of this year, the first day of its year otherwise.', verbose_name='in force from (施行日期)'),
        ),
    ]
