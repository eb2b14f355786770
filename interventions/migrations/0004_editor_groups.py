"""The two editorial roles: "Redaktør" edits and publishes, "Læser" only looks.

Permissions are normally created after all migrations have run; they are created here first so
that the groups can be filled on a fresh database too.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR, READER = "Redaktør", "Læser"

CONTENT = ["intervention", "contact", "legalbasis"]
VOCABULARIES = [
    "region",
    "municipality",
    "targetgroup",
    "policyarea",
    "method",
    "kkrgoal",
    "law",
    "legalparagraph",
    "sourcedocument",
    "sourcesection",
    "guidance",
]
HISTORY = ["historicalintervention", "historicalcontact", "historicallegalbasis"]


def editor_codenames():
    # Entries are never deleted by editors (unpublish instead); a contact or a legal basis row is
    # part of an entry, so removing one is an ordinary edit.
    codenames = {f"{action}_{model}" for model in CONTENT + VOCABULARIES for action in ("add", "change", "view")}
    codenames |= {"delete_contact", "delete_legalbasis", "publish_intervention"}
    codenames |= {f"view_{model}" for model in HISTORY}
    return codenames


def reader_codenames():
    return {f"view_{model}" for model in CONTENT + VOCABULARIES + HISTORY}


def create_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ((EDITOR, editor_codenames()), (READER, reader_codenames())):
        permissions = Permission.objects.filter(
            content_type__app_label="interventions", codename__in=codenames
        )
        missing = codenames - set(permissions.values_list("codename", flat=True))
        assert not missing, f"permissions not found: {sorted(missing)}"
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITOR, READER]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("interventions", "0003_editors_history_freshness"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
