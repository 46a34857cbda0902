from django.db import migrations

HR_GROUP = "HR admins"

# PostgreSQL refuses any UPDATE or DELETE on the audit log: append-only in the database,
# not just by convention. (SQLite, the no-server development default, relies on the code.)
FORBID_SQL = """
CREATE OR REPLACE FUNCTION perfcycle_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER perfcycle_audit_append_only
    BEFORE UPDATE OR DELETE ON perfcycle_auditevent
    FOR EACH ROW EXECUTE FUNCTION perfcycle_audit_append_only();
"""
ALLOW_SQL = """
DROP TRIGGER IF EXISTS perfcycle_audit_append_only ON perfcycle_auditevent;
DROP FUNCTION IF EXISTS perfcycle_audit_append_only();
"""


def create_hr_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=HR_GROUP)
    group.permissions.add(
        Permission.objects.get(codename="manage_performance", content_type__app_label="perfcycle")
    )


def forbid_audit_changes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID_SQL)


def allow_audit_changes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("perfcycle", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_hr_group, migrations.RunPython.noop),
        migrations.RunPython(forbid_audit_changes, allow_audit_changes),
    ]
