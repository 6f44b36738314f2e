"""The domain of SPEC §3 as typed SQLAlchemy models, one module per aggregate."""

from catalog.db import Base
from catalog.models.access import AccessGrant
from catalog.models.audit import AuditChainHead, AuditCheckpoint, AuditEvent
from catalog.models.datasets import Dataset, DatasetObject, DatasetVersion
from catalog.models.idempotency import IdempotencyRecord
from catalog.models.institutions import Institution
from catalog.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction
from catalog.models.licenses import (
    DestructionAttestation,
    License,
    LicenseRenewal,
    LicenseRenewalPart,
)
from catalog.models.notifications import (
    Delivery,
    Notice,
    Notification,
    NotificationPreference,
    WebhookEndpoint,
)
from catalog.models.offers import LicenseDocument, Offer
from catalog.models.purchases import Purchase, PurchaseParticipant
from catalog.models.ratelimit import RateLimitCounter
from catalog.models.teams import EvaluationPhase, Team
from catalog.models.users import ApiToken, User

__all__ = [
    "AccessGrant",
    "ApiToken",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEvent",
    "Base",
    "Dataset",
    "DatasetObject",
    "DatasetVersion",
    "Delivery",
    "DestructionAttestation",
    "EvaluationPhase",
    "IdempotencyRecord",
    "Institution",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "License",
    "LicenseDocument",
    "LicenseRenewal",
    "LicenseRenewalPart",
    "Notice",
    "Notification",
    "NotificationPreference",
    "Offer",
    "Purchase",
    "PurchaseParticipant",
    "RateLimitCounter",
    "Team",
    "User",
    "WebhookEndpoint",
]
