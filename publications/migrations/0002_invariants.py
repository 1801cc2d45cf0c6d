"""Invariants Postgres holds itself, whoever writes (the ORM, a script, psql):

* a signed issue never changes and is never deleted, nor are its items and its distribution;
* credits (the facts scoring prices) and deliveries are append-only;
* the compile page's list of adopted items at an office, latest first, reads an index (on the review chain's
  hop table, which belongs to reviews: a partial index of adopted hops only, made and dropped here).
"""

from django.db import migrations

SQL = """
CREATE FUNCTION publications_signed_issue_is_final() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'issue % is signed: it can no longer be changed or deleted', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER publications_issue_final BEFORE UPDATE OR DELETE ON publications_issue
    FOR EACH ROW EXECUTE FUNCTION publications_signed_issue_is_final();

CREATE FUNCTION publications_part_of_signed_issue_is_final() RETURNS trigger AS $$
DECLARE
    row_issue bigint := CASE WHEN TG_OP = 'INSERT' THEN NEW.issue_id ELSE OLD.issue_id END;
BEGIN
    IF EXISTS (SELECT 1 FROM publications_issue WHERE id = row_issue AND status = 'signed')
       OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM publications_issue WHERE id = NEW.issue_id AND status = 'signed'))
    THEN
        RAISE EXCEPTION 'issue % is signed: its % can no longer be changed', row_issue, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER publications_entry_final BEFORE INSERT OR UPDATE OR DELETE ON publications_entry
    FOR EACH ROW EXECUTE FUNCTION publications_part_of_signed_issue_is_final();
CREATE TRIGGER publications_recipient_final BEFORE INSERT OR UPDATE OR DELETE ON publications_recipient
    FOR EACH ROW EXECUTE FUNCTION publications_part_of_signed_issue_is_final();

CREATE FUNCTION publications_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER publications_credit_append_only BEFORE UPDATE OR DELETE ON publications_credit
    FOR EACH ROW EXECUTE FUNCTION publications_append_only();
CREATE TRIGGER publications_delivery_append_only BEFORE UPDATE OR DELETE ON publications_delivery
    FOR EACH ROW EXECUTE FUNCTION publications_append_only();

CREATE INDEX publications_hop_adopted_recent ON reviews_hop (office_id, acted_at DESC, id DESC)
    WHERE status = 'adopted';
"""

REVERSE = """
DROP INDEX IF EXISTS publications_hop_adopted_recent;
DROP TRIGGER IF EXISTS publications_delivery_append_only ON publications_delivery;
DROP TRIGGER IF EXISTS publications_credit_append_only ON publications_credit;
DROP FUNCTION IF EXISTS publications_append_only();
DROP TRIGGER IF EXISTS publications_recipient_final ON publications_recipient;
DROP TRIGGER IF EXISTS publications_entry_final ON publications_entry;
DROP FUNCTION IF EXISTS publications_part_of_signed_issue_is_final();
DROP TRIGGER IF EXISTS publications_issue_final ON publications_issue;
DROP FUNCTION IF EXISTS publications_signed_issue_is_final();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("publications", "0001_initial"),
        ("reviews", "0001_initial"),
    ]

    operations = [migrations.RunSQL(SQL, REVERSE)]
