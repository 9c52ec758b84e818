"""admin console: TOTP factors, registration requests, audit anchors

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_mfa",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.Integer(), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("recovery_hashes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "registration_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("secret_enc", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registration_requests", schema=None) as batch_op:
        batch_op.create_index("ix_registration_requests_requester_id", ["requester_id"], unique=False)
        batch_op.create_index("ix_registration_requests_department", ["department"], unique=False)
        batch_op.create_index("ix_registration_requests_status", ["status"], unique=False)
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hmac", sa.String(length=64), nullable=False),
        sa.Column("purged", sa.Integer(), nullable=False),
        sa.Column("before_ts", sa.Integer(), nullable=False),
        sa.Column("export_sha256", sa.String(length=64), nullable=False),
        sa.Column("anchor_hmac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("audit_anchors")
    with op.batch_alter_table("registration_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_registration_requests_status")
        batch_op.drop_index("ix_registration_requests_department")
        batch_op.drop_index("ix_registration_requests_requester_id")
    op.drop_table("registration_requests")
    op.drop_table("admin_mfa")
