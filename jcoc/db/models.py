"""Imports every model so metadata is complete (for Alembic and tests), nothing else."""

from jcoc.audit.models import AuditEntry
from jcoc.auth.models import ApiKey, KioskToken, LoginSession, User
from jcoc.camera.models import Camera, CameraMetric
from jcoc.db.base import Base
from jcoc.incident.models import Incident, IncidentEvent, IncidentLink, SlaPolicy
from jcoc.kpi.models import KpiDefinition, KpiSample
from jcoc.notify.models import Webhook, WebhookDelivery
from jcoc.opd.models import Agency, Service
from jcoc.status.models import StatusEvent

# name -> time column of every time-series table (hypertables on TimescaleDB)
TIMESERIES_TABLES = {
    "status_event": "time",
    "kpi_sample": "time",
    "camera_metric": "time",
    "incident_event": "time",
}

__all__ = [
    "TIMESERIES_TABLES",
    "Agency",
    "ApiKey",
    "AuditEntry",
    "Base",
    "Camera",
    "CameraMetric",
    "Incident",
    "IncidentEvent",
    "IncidentLink",
    "KioskToken",
    "KpiDefinition",
    "KpiSample",
    "LoginSession",
    "Service",
    "SlaPolicy",
    "StatusEvent",
    "User",
    "Webhook",
    "WebhookDelivery",
]
