"""The staff web interface, mounted at the site root."""

from django.urls import path

from backend.web.views import (
    announcements,
    auth,
    compliance,
    customer_edit,
    customers,
    document_bulk,
    document_edit,
    document_new,
    document_versions,
    documents,
    home,
    opportunities,
    pickers,
    pipeline,
    previews,
    reports,
    search,
    service_desk,
)

from backend.web.views import handover
from backend.web.views import watermarks

from backend.web.views import service_levels

from backend.web.views import retention

from backend.web.views import products
from backend.web.views import imports

from backend.web.views import knowledge

from backend.web.views import quotes

from backend.web.views import quote_pdf

from backend.web.views import activities

from backend.web.views import orders

from backend.web.views import inbox
# the trash and legal holds (T1)
from backend.web.views import trash

from backend.web.views import campaigns, expenses
# the mail intake's queue (M, issue 18)
from backend.web.views import intake

app_name = "web"

urlpatterns = [
    *auth.entrance.urls(),
    path("", home.home, name="home"),
    path("search/", search.search, name="search"),
    path("search/suggest/", search.suggest, name="search_suggest"),
    path("search/saved/", search.saved_search_save, name="saved_search_save"),
    path("search/saved/<int:saved_search_id>/delete/", search.saved_search_delete, name="saved_search_delete"),
    path("pick/<str:kind>/", pickers.pick, name="pick"),
    # documents
    path("documents/new/", document_new.document_new, name="document_new"),
    path("documents/new/upload/", document_new.document_new_upload, name="document_new_upload"),
    path("documents/new/duplicates/", document_new.document_new_duplicates, name="document_new_duplicates"),
    path("documents/new/version/<int:document_id>/", document_new.document_new_version,
         name="document_new_version"),
    path("documents/bulk/", document_bulk.document_bulk, name="document_bulk"),
    path("documents/<int:document_id>/", documents.document_detail, name="document"),
    path("documents/<int:document_id>/download/", documents.valid_version_download, name="document_download"),
    path("documents/<int:document_id>/versions/", documents.version_upload, name="version_upload"),
    path("documents/<int:document_id>/versions/<int:number>/download/", documents.version_download,
         name="version_download"),
    path("documents/<int:document_id>/versions/<int:number>/preview/", documents.version_preview,
         name="version_preview"),
    path("documents/<int:document_id>/versions/<int:number>/preview/panel/", previews.version_preview_panel,
         name="version_preview_panel"),
    path("documents/<int:document_id>/versions/<int:number>/pages/<int:page>.png", previews.version_page,
         name="version_page"),
    path("documents/<int:document_id>/versions/<int:number>/thumbnail.png", previews.version_thumbnail,
         name="version_thumbnail"),
    path("documents/<int:document_id>/versions/<int:number>/approve/", document_versions.version_approve,
         name="version_approve"),
    path("documents/<int:document_id>/versions/<int:number>/restore/", document_versions.version_restore,
         name="version_restore"),
    path("documents/<int:document_id>/compare/", document_versions.version_compare, name="version_compare"),
    path("documents/<int:document_id>/delete/", document_versions.document_delete, name="document_delete"),
    path("documents/<int:document_id>/checkout/", documents.checkout, name="checkout"),
    path("documents/<int:document_id>/checkin/", documents.checkin, name="checkin"),
    path("documents/<int:document_id>/break-lock/", documents.break_lock, name="break_lock"),
    path("documents/<int:document_id>/access/", documents.document_access, name="document_access"),
    path("documents/<int:document_id>/edit/", document_edit.document_edit, name="document_edit"),
    path("documents/<int:document_id>/links/", document_edit.link_add, name="document_link_add"),
    path("documents/<int:document_id>/links/<int:link_id>/remove/", document_edit.link_remove,
         name="document_link_remove"),
    path("documents/<int:document_id>/access-panel/", document_edit.access_panel, name="document_access_panel"),
    path("documents/<int:document_id>/grants/", document_edit.grant, name="document_grant"),
    path("documents/<int:document_id>/grants/revoke/", document_edit.revoke, name="document_revoke"),
    path("documents/<int:document_id>/owner/", document_edit.transfer_owner, name="document_transfer_owner"),
    path("documents/<int:document_id>/access-log/", documents.document_access_log, name="document_access_log"),
    path("documents/<int:document_id>/shares/", documents.share_create, name="share_create"),
    path("documents/<int:document_id>/shares/<int:share_id>/revoke/", documents.share_revoke, name="share_revoke"),
    path("documents/<int:document_id>/shares/<int:share_id>/reconfirm/", documents.share_reconfirm,
         name="share_reconfirm"),
    # CRM
    path("customers/", customers.customer_list, name="customers"),
    path("customers/new/", customer_edit.customer_new, name="customer_new"),
    path("customers/duplicates/", customer_edit.customer_duplicates, name="customer_duplicates"),
    path("customers/<int:customer_id>/", customers.customer_detail, name="customer"),
    path("customers/<int:customer_id>/edit/", customer_edit.customer_edit, name="customer_edit"),
    path("customers/<int:customer_id>/contacts/new/", customer_edit.contact_new, name="contact_new"),
    path("customers/<int:customer_id>/contacts/<int:contact_id>/edit/", customer_edit.contact_edit,
         name="contact_edit"),
    path("customers/<int:customer_id>/contacts/<int:contact_id>/portal/<str:action>/", customers.contact_portal,
         name="contact_portal"),
    path("pipeline/", pipeline.board, name="pipeline"),
    path("pipeline/<int:opportunity_id>/stage/", pipeline.move, name="pipeline_move"),
    path("pipeline/<int:opportunity_id>/details/", pipeline.card_details, name="pipeline_card_details"),
    path("opportunities/new/", opportunities.opportunity_new, name="opportunity_new"),
    path("opportunities/<int:opportunity_id>/", opportunities.opportunity_detail, name="opportunity"),
    path("opportunities/<int:opportunity_id>/edit/", opportunities.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:opportunity_id>/stage/", opportunities.opportunity_stage, name="opportunity_stage"),
    path("quotes/new/", quotes.quote_new, name="quote_new"),
    path("quotes/preview/", quotes.quote_preview_json, name="quote_preview"),
    path("quotes/<int:quote_id>/", quotes.quote_detail, name="quote"),
    path("quotes/<int:quote_id>/revise/", quotes.quote_revision_new, name="quote_revise"),
    path("quotes/<int:quote_id>/pdf/", quote_pdf.quote_pdf_make, name="quote_pdf"),
    path("quotes/<int:quote_id>/send/", quote_pdf.quote_send_to_customer, name="quote_send"),
    path("orders/new/", orders.order_new, name="order_new"),
    path("orders/<int:order_id>/", orders.order_detail, name="order"),
    path("orders/<int:order_id>/invoices/", orders.order_invoice_issue, name="order_invoice"),
    path("orders/<int:order_id>/invoices/<int:invoice_id>/pdf/", orders.order_invoice_pdf, name="order_invoice_pdf"),
    path("orders/<int:order_id>/payments/", orders.order_payment_record, name="order_payment"),
    path("orders/<int:order_id>/status/", orders.order_status, name="order_status"),
    path("service/", service_desk.desk, name="service_desk"),
    path("service/<int:record_id>/", service_desk.record_detail, name="service_record"),
    path("service/levels/", service_levels.service_levels, name="service_levels"),
    path("service/<int:record_id>/notes/", service_desk.note_add, name="service_note_add"),
    path("service/attachments/<int:attachment_id>/", service_desk.attachment_download, name="service_attachment"),
    path("service/<int:record_id>/<str:step>/", service_desk.step, name="service_step"),
    path("knowledge/", knowledge.knowledge_list, name="knowledge"),
    path("knowledge/new/", knowledge.knowledge_new, name="knowledge_new"),
    path("knowledge/from-service/<int:record_id>/", knowledge.knowledge_from_service, name="knowledge_from_service"),
    path("knowledge/<int:article_id>/", knowledge.knowledge_article, name="knowledge_article"),
    path("knowledge/<int:article_id>/edit/", knowledge.knowledge_edit, name="knowledge_edit"),
    path("knowledge/<int:article_id>/audience/", knowledge.knowledge_audience, name="knowledge_audience"),
    path("knowledge/<int:article_id>/versions/<int:number>/", knowledge.knowledge_version, name="knowledge_version"),
    path("knowledge/<int:article_id>/<str:step>/", knowledge.knowledge_step, name="knowledge_step"),
    path("products/", products.product_list, name="products"),
    path("products/new/", products.product_new, name="product_new"),
    path("products/<int:product_id>/edit/", products.product_edit, name="product_edit"),
    path("imports/", imports.import_start, name="imports"),
    path("imports/documents/", imports.import_documents_start, name="import_documents"),
    path("imports/<int:run_id>/", imports.import_run, name="import_run"),
    path("imports/<int:run_id>/map/", imports.import_run_map, name="import_run_map"),
    path("imports/<int:run_id>/decide/", imports.import_run_decide, name="import_run_decide"),
    path("imports/<int:run_id>/decide-where/", imports.import_run_decide_where, name="import_run_decide_where"),
    path("imports/<int:run_id>/commit/", imports.import_run_commit, name="import_run_commit"),
    path("imports/<int:run_id>/progress/", imports.import_run_progress, name="import_run_progress"),
    path("announcements/", announcements.announcement_list, name="announcements"),
    path("announcements/new/", announcements.announcement_create, name="announcement_create"),
    path("announcements/<int:announcement_id>/<str:step>/", announcements.announcement_step,
         name="announcement_step"),
    path("reports/", reports.overview, name="reports"),
    path("reports/<str:name>.csv", reports.export_csv, name="report_csv"),
    path("reports/<str:name>.xlsx", reports.export, {"fmt": "xlsx"}, name="report_xlsx"),
    path("reports/targets/", reports.targets, name="report_targets"),
    path("reports/targets/<int:target_id>/remove/", reports.target_remove, name="report_target_remove"),
    path("reports/rates/", reports.rates, name="report_rates"),
    path("reports/rates/<int:rate_id>/remove/", reports.rate_remove, name="report_rate_remove"),
    path("customers/<int:customer_id>/activities/", activities.activity_log, name="activity_log"),
    path("activities/<int:activity_id>/done/", activities.activity_done, name="activity_done"),
    path("worklog/", activities.worklog, name="worklog"),
    path("worklog.csv", activities.worklog_csv, name="worklog_csv"),
    path("handover/", handover.handover, name="handover"),
    path("handover/preview/", handover.handover_preview, name="handover_preview"),
    path("handover/run/", handover.handover_confirm, name="handover_confirm"),
    # marketing: campaigns, leads; expenses
    path("campaigns/", campaigns.campaign_list, name="campaigns"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/materials/", campaigns.campaign_material_add, name="campaign_material_add"),
    path("campaigns/<int:campaign_id>/materials/<int:material_id>/remove/", campaigns.campaign_material_remove,
         name="campaign_material_remove"),
    path("campaigns/<int:campaign_id>/invitees/", campaigns.campaign_invite, name="campaign_invite"),
    path("campaigns/<int:campaign_id>/invitees/<int:participant_id>/attendance/", campaigns.campaign_attendance,
         name="campaign_attendance"),
    path("leads/", campaigns.lead_list, name="leads"),
    path("leads/new/", campaigns.lead_new, name="lead_new"),
    path("leads/mine/", campaigns.my_leads, name="my_leads"),
    path("leads/<int:lead_id>/assign/", campaigns.lead_assign, name="lead_assign"),
    path("leads/<int:lead_id>/status/", campaigns.lead_status, name="lead_status"),
    path("expenses/", expenses.expense_list, name="expenses"),
    path("expenses/new/", expenses.expense_new, name="expense_new"),
    path("expenses/<int:expense_id>/", expenses.expense_detail, name="expense"),
    path("expenses/<int:expense_id>/decide/", expenses.expense_decide, name="expense_decide"),
    path("customers/<int:customer_id>/expenses/", expenses.customer_expenses, name="customer_expenses"),
    # notifications: the inbox, preferences, watches, contacts' e-mail consent
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read-all/", inbox.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("inbox/preferences/", inbox.notification_preferences, name="notification_preferences"),
    path("inbox/<int:notification_id>/open/", inbox.inbox_open, name="inbox_open"),
    path("inbox/<int:notification_id>/read/", inbox.inbox_mark_read, name="inbox_mark_read"),
    path("documents/<int:document_id>/watch/", inbox.document_watch, name="document_watch"),
    path("customers/<int:customer_id>/watch/", inbox.customer_watch, name="customer_watch"),
    path("customers/<int:customer_id>/contacts/<int:contact_id>/email-consent/", inbox.contact_email_consent,
         name="contact_email_consent"),
    # the trash and legal holds
    path("trash/", trash.trash_list, name="trash"),
    path("trash/<int:document_id>/restore/", trash.trash_restore, name="trash_restore"),
    path("trash/<int:document_id>/purge/", trash.trash_purge, name="trash_purge"),
    path("legal-holds/", trash.legal_holds, name="legal_holds"),
    path("legal-holds/<int:hold_id>/lift/", trash.legal_hold_lift, name="legal_hold_lift"),
    path("legal-holds/<int:hold_id>/documents/", trash.legal_hold_documents, name="legal_hold_documents"),
    # the mail intake's queue
    path("intake/", intake.intake_queue, name="intake"),
    path("intake/<int:message_id>/", intake.intake_message, name="intake_message"),
    # retention policies and the disposal review
    path("retention/", retention.retention_policies, name="retention_policies"),
    path("retention/policies/<int:policy_id>/", retention.retention_policy_edit, name="retention_policy"),
    path("retention/review/", retention.disposal_review, name="disposal_review"),
    path("retention/review/<int:retention_id>/dispose/", retention.disposal_dispose, name="disposal_dispose"),
    path("retention/review/<int:retention_id>/keep/", retention.disposal_keep, name="disposal_keep"),
    path("documents/<int:document_id>/retention-product/", retention.document_retention_product,
         name="document_retention_product"),
    # compliance console
    path("compliance/", compliance.audit_log, name="audit_log"),
    path("compliance/events/<int:event_id>/", compliance.event_detail, name="audit_event"),
    path("compliance/export.csv", compliance.export_csv, name="audit_export_csv"),
    path("compliance/export.json", compliance.export_json, name="audit_export_json"),
    path("compliance/verify/", compliance.verify_chain, name="audit_verify"),
    path("compliance/user-access/", compliance.user_access, name="audit_user_access"),
    path("compliance/document-access/", compliance.document_access, name="audit_document_access"),
    path("compliance/pick/<str:kind>/", compliance.pick, name="compliance_pick"),
    path("compliance/watermark/", watermarks.watermark_lookup, name="watermark_lookup"),
]
