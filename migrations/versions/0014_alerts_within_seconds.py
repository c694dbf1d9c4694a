"""Alerts within seconds: outbox priority and failure kind, giving up recorded, one e-mail for several alerts (issue 12)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 14:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# What 0013's sender gave up at: an unsent row with this many attempts was never tried again.
OLD_MAX_ATTEMPTS = 28


def upgrade():
    op.create_table(
        "attendance_alert_emails",
        sa.Column("alert_id", sa.Uuid(), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["attendance_alerts.id"], name=op.f("fk_attendance_alert_emails_alert_id_attendance_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["email_id"], ["outbox_emails.id"], name=op.f("fk_attendance_alert_emails_email_id_outbox_emails")
        ),
        sa.PrimaryKeyConstraint("alert_id", "email_id", name=op.f("pk_attendance_alert_emails")),
    )
    with op.batch_alter_table("attendance_alert_emails", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_alert_emails_email_id"), ["email_id"], unique=False)
    op.execute(
        "INSERT INTO attendance_alert_emails (alert_id, email_id) "
        "SELECT alert_id, id FROM outbox_emails WHERE alert_id IS NOT NULL"
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("failure", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_emails_due", ["sent_at", "priority", "created_at"], unique=False)
    # Attendance alerts' e-mails were the urgent ones; what the old sender had given up on is recorded as given up.
    op.execute("UPDATE outbox_emails SET priority = 0 WHERE id IN (SELECT email_id FROM attendance_alert_emails)")
    op.execute(
        sa.text(
            "UPDATE outbox_emails SET gave_up_at = COALESCE(next_attempt_at, created_at) "
            "WHERE sent_at IS NULL AND attempts >= :most"
        ).bindparams(most=OLD_MAX_ATTEMPTS)
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.alter_column("priority", server_default=None)
        batch_op.drop_constraint(batch_op.f("fk_outbox_emails_alert_id_attendance_alerts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_emails_alert_id"))
        batch_op.drop_column("alert_id")


def downgrade():
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_emails_alert_id"), ["alert_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_emails_alert_id_attendance_alerts"), "attendance_alerts", ["alert_id"], ["id"]
        )
    # An e-mail that told of several alerts keeps one of them (the old schema had room for one).
    op.execute(
        "UPDATE outbox_emails SET alert_id = (SELECT alert_id FROM attendance_alert_emails "
        "WHERE attendance_alert_emails.email_id = outbox_emails.id ORDER BY alert_id LIMIT 1)"
    )
    op.execute(
        sa.text(
            "UPDATE outbox_emails SET attempts = :most WHERE gave_up_at IS NOT NULL AND sent_at IS NULL "
            "AND attempts < :most"
        ).bindparams(most=OLD_MAX_ATTEMPTS)
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_emails_due")
        batch_op.drop_column("gave_up_at")
        batch_op.drop_column("first_attempt_at")
        batch_op.drop_column("failure")
        batch_op.drop_column("priority")
    with op.batch_alter_table("attendance_alert_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_alert_emails_email_id"))
    op.drop_table("attendance_alert_emails")
