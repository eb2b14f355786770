"""Curated other names (aliases) on target groups, policy areas and methods, searched as the name.

Depends on 0008: the lead re-points it onto the 0009 of another branch when both are merged.
"""

from django.db import migrations, models

HELP = (
    "Ét navn pr. linje, som søgningen også finder termen ved: engelske navne, forkortelser og "
    "danske varianter (fx 'IPS', 'peer support'). Ikke synonymer for andre termer."
)


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0009_honest_dates"),
    ]

    operations = [
        migrations.AddField(
            model_name=model,
            name="aliases",
            field=models.TextField(blank=True, help_text=HELP, verbose_name="andre navne"),
        )
        for model in ("method", "policyarea", "targetgroup")
    ]
