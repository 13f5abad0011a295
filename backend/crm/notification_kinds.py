"""CRM notification kinds (imported by the notifications app at start-up). One line a kind."""

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import Delivery, register_kind

# Service (backend/crm/services/service.py, service_requests.py, service_levels.py)
SERVICE_DISPATCHED = register_kind("service.dispatched", label=_("A service record is dispatched to me"), group="service", default=Delivery.EMAIL)
SERVICE_DISPATCH_UNCONFIRMED = register_kind("service.dispatch_unconfirmed", label=_("A dispatch is not confirmed in time (service managers)"), group="service", default=Delivery.EMAIL)
SERVICE_SLA_BREACHED = register_kind("service.sla_breached", label=_("A service record misses its response or resolution target (service managers)"), group="service", default=Delivery.EMAIL)
SERVICE_REQUEST_RECEIVED = register_kind("service.request_received", label=_("A customer raises a service request or complaint (service desk)"), group="service")
# Sales (backend/crm/services/campaigns.py)
SALES_LEAD_ASSIGNED = register_kind("sales.lead_assigned", label=_("A lead is assigned to me"), group="sales", default=Delivery.EMAIL)
