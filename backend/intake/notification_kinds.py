"""Mail intake notification kinds (imported by the notifications app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import register_kind

SALES_MAIL_FILED = register_kind("sales.mail_filed", label=_("Mail from one of my customers is filed as documents"), group="sales")
