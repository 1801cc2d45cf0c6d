"""The audit log refuses UPDATE and DELETE in the database itself, whoever connects.

TRUNCATE stays possible: it needs the table owner's rights, and the test runner empties tables with it.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION infohub_auditlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'infohub_auditlog is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER infohub_auditlog_append_only
    BEFORE UPDATE OR DELETE ON infohub_auditlog
    FOR EACH ROW EXECUTE FUNCTION infohub_auditlog_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS infohub_auditlog_append_only ON infohub_auditlog;
DROP FUNCTION IF EXISTS infohub_auditlog_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("infohub", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
