"""The customer portal, mounted at /portal/."""

from django.urls import path

from portal.views import account, knowledge, orders, password_reset, questions, service, shares
from portal.views import email_updates, unsubscribe

app_name = "portal"

urlpatterns = [
    path("", account.home, name="home"),
    *account.entrance.urls(),
    path("invitation/<str:token>/", account.invitation, name="invitation"),
    path("password/forgot/", password_reset.password_forgot, name="password_forgot"),
    path("password/reset/<str:token>/", password_reset.password_reset, name="password_reset"),
    # the unsubscribe link of customer e-mails (backend/notifications/customers.py): no sign-in
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
    path("announcements/", account.announcements, name="announcements"),
    # the contact's own consent to e-mails about orders, service requests and documents
    path("email/", email_updates.email_updates, name="email_updates"),
    path("ask/", questions.ask, name="ask"),
    # shared documents
    path("shared/", shares.share_list, name="shares"),
    path("shared/<int:share_id>/", shares.share_detail, name="share"),
    path("shared/<int:share_id>/download/", shares.share_download, name="share_download"),
    path("shared/<int:share_id>/answer/", shares.share_quote_answer, name="share_quote_answer"),
    path("shared/<int:share_id>/pages/<int:page>.png", shares.share_page, name="share_page"),
    # knowledge base
    path("knowledge/", knowledge.article_list, name="knowledge"),
    path("knowledge/<int:article_id>/", knowledge.article_detail, name="article"),
    # orders
    path("orders/", orders.order_list, name="orders"),
    path("orders/<int:order_id>/", orders.order_detail, name="order"),
    path("orders/<int:order_id>/invoices/<int:invoice_id>/pdf/", orders.invoice_pdf, name="invoice_pdf"),
    # service requests
    path("service/", service.request_list, name="service"),
    path("service/new/", service.request_new, name="service_new"),
    path("service/new/suggestions/", service.request_suggestions, name="service_suggestions"),
    path("service/<int:record_id>/", service.request_detail, name="service_request"),
    path("service/<int:record_id>/comment/", service.request_comment, name="service_comment"),
    path("service/<int:record_id>/rate/", service.request_rate, name="service_rate"),
    path("service/<int:record_id>/complaint/", service.request_complaint, name="service_complaint"),
    path("service/attachments/<int:attachment_id>/", service.attachment, name="service_attachment"),
]
