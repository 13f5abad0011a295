"""The staff web interface, mounted at the site root."""

from django.urls import path

from backend.web.views import (
    announcements,
    auth,
    compliance,
    customers,
    documents,
    home,
    pickers,
    pipeline,
    reports,
    search,
    service_desk,
)

app_name = "web"

urlpatterns = [
    *auth.entrance.urls(),
    path("", home.home, name="home"),
    path("search/", search.search, name="search"),
    path("pick/<str:kind>/", pickers.pick, name="pick"),
    # documents
    path("documents/<int:document_id>/", documents.document_detail, name="document"),
    path("documents/<int:document_id>/download/", documents.valid_version_download, name="document_download"),
    path("documents/<int:document_id>/versions/", documents.version_upload, name="version_upload"),
    path("documents/<int:document_id>/versions/<int:number>/download/", documents.version_download,
         name="version_download"),
    path("documents/<int:document_id>/versions/<int:number>/preview/", documents.version_preview,
         name="version_preview"),
    path("documents/<int:document_id>/versions/<int:number>/approve/", documents.version_approve,
         name="version_approve"),
    path("documents/<int:document_id>/versions/<int:number>/restore/", documents.version_restore,
         name="version_restore"),
    path("documents/<int:document_id>/checkout/", documents.checkout, name="checkout"),
    path("documents/<int:document_id>/checkin/", documents.checkin, name="checkin"),
    path("documents/<int:document_id>/break-lock/", documents.break_lock, name="break_lock"),
    path("documents/<int:document_id>/access/", documents.document_access, name="document_access"),
    path("documents/<int:document_id>/access-log/", documents.document_access_log, name="document_access_log"),
    path("documents/<int:document_id>/shares/", documents.share_create, name="share_create"),
    path("documents/<int:document_id>/shares/<int:share_id>/revoke/", documents.share_revoke, name="share_revoke"),
    path("documents/<int:document_id>/shares/<int:share_id>/reconfirm/", documents.share_reconfirm,
         name="share_reconfirm"),
    # CRM
    path("customers/", customers.customer_list, name="customers"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer"),
    path("customers/<int:customer_id>/contacts/<int:contact_id>/portal/<str:action>/", customers.contact_portal,
         name="contact_portal"),
    path("pipeline/", pipeline.board, name="pipeline"),
    path("pipeline/<int:opportunity_id>/stage/", pipeline.move, name="pipeline_move"),
    path("service/", service_desk.desk, name="service_desk"),
    path("service/<int:record_id>/", service_desk.record_detail, name="service_record"),
    path("service/<int:record_id>/notes/", service_desk.note_add, name="service_note_add"),
    path("service/attachments/<int:attachment_id>/", service_desk.attachment_download, name="service_attachment"),
    path("service/<int:record_id>/<str:step>/", service_desk.step, name="service_step"),
    path("announcements/", announcements.announcement_list, name="announcements"),
    path("announcements/new/", announcements.announcement_create, name="announcement_create"),
    path("announcements/<int:announcement_id>/<str:step>/", announcements.announcement_step,
         name="announcement_step"),
    path("reports/", reports.overview, name="reports"),
    path("reports/<str:name>.csv", reports.export_csv, name="report_csv"),
    # compliance console
    path("compliance/", compliance.audit_log, name="audit_log"),
    path("compliance/events/<int:event_id>/", compliance.event_detail, name="audit_event"),
    path("compliance/export.csv", compliance.export_csv, name="audit_export_csv"),
    path("compliance/export.json", compliance.export_json, name="audit_export_json"),
    path("compliance/verify/", compliance.verify_chain, name="audit_verify"),
    path("compliance/user-access/", compliance.user_access, name="audit_user_access"),
    path("compliance/document-access/", compliance.document_access, name="audit_document_access"),
]
