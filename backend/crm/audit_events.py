"""CRM audit event types (discovered by the audit app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# (name, description, label), one row a type; a named row binds the constant its call sites record with.
for _name, _description, _label in [
    (CRM_ACCESS_DENIED := "crm.access.denied", "Someone asked for a CRM record they may not see or change", _("Was refused a CRM record")),
    ("crm.customer.created", "A customer (account) was created", _("Created a customer")),
    ("crm.customer.updated", "A customer's details changed", _("Changed a customer's details")),
    ("crm.customer.reassigned", "A customer was handed to another owner", _("Reassigned a customer")),
    ("crm.customer.team_changed", "A customer's account team changed", _("Changed an account team")),
    ("crm.contact.created", "A contact person was added to a customer", _("Added a contact")),
    ("crm.contact.updated", "A contact person's details changed", _("Changed a contact")),
    ("crm.opportunity.created", "An opportunity was opened", _("Opened an opportunity")),
    ("crm.opportunity.updated", "An opportunity's details changed", _("Changed an opportunity")),
    ("crm.opportunity.stage_changed", "An opportunity moved along the funnel", _("Moved an opportunity to another stage")),
    ("crm.quote.created", "A quote was drafted", _("Drafted a quote")),
    ("crm.quote.status_changed", "A quote was sent, accepted, rejected, expired or superseded", _("Changed a quote's status")),
    ("crm.quote.document_attached", "A quote's rendered document was attached", _("Attached a quote document")),
    ("crm.order.created", "An order was recorded", _("Recorded an order")),
    ("crm.order.status_changed", "An order was fulfilled or cancelled", _("Changed an order's status")),
    ("crm.invoice.issued", "An invoice was issued against an order", _("Issued an invoice")),
    ("crm.payment.recorded", "A payment was received against an order", _("Recorded a payment")),
    ("crm.service.created", "A service record was opened", _("Opened a service record")),
    ("crm.service.dispatch_changed", "A service record moved along the dispatch states", _("Changed a service record's dispatch state")),
    ("crm.service.rated", "A customer's satisfaction score was recorded", _("Recorded a satisfaction score")),
    ("crm.article.created", "A knowledge article was drafted", _("Drafted a knowledge article")),
    ("crm.article.updated", "A knowledge article changed", _("Changed a knowledge article")),
    ("crm.article.published", "A knowledge article was published", _("Published a knowledge article")),
    ("crm.activity.logged", "A visit, call, e-mail, note or reminder was logged", _("Logged an activity")),
    ("crm.activity.completed", "A reminder was marked done", _("Completed a reminder")),
    ("crm.document.linked", "A document was linked to a CRM record", _("Linked a document to a CRM record")),
    ("crm.document.unlinked", "A document link was removed", _("Removed a document link")),
    (CRM_REPORT_EXPORTED := "crm.report.exported", "A report was exported as CSV", _("Exported a report")),
    ("crm.product.created", "A product was added to the catalogue", _("Added a product")),
    ("crm.service.noted", "A comment or progress note was added to a service record", _("Added a note to a service record")),
    ("crm.service.attachment_added", "A file was attached to a service record", _("Attached a file to a service record")),
    ("crm.service.attachment_downloaded", "A service record's attachment was downloaded or shown", _("Opened a service attachment")),
    ("crm.announcement.created", "An announcement for portal users was drafted", _("Drafted an announcement")),
    ("crm.announcement.published", "An announcement was published to portal users", _("Published an announcement")),
    ("crm.announcement.withdrawn", "A published announcement was withdrawn", _("Withdrew an announcement")),
    ("portal.service.submitted", "A customer submitted a service request (or complaint) in the portal", _("Submitted a service request in the portal")),
    ("portal.service.commented", "A customer commented on a service request in the portal", _("Commented on a service request in the portal")),
    ("portal.service.rated", "A customer rated a resolved service request in the portal", _("Rated a service request in the portal")),
    (PORTAL_SERVICE_VIEWED := "portal.service.viewed", "A customer opened a service request in the portal", _("Opened a service request in the portal")),
    (PORTAL_ARTICLE_READ := "portal.article.read", "A customer read a knowledge-base article in the portal", _("Read a knowledge article in the portal")),
    ("portal.knowledge.searched", "A customer searched the knowledge base in the portal", _("Searched the knowledge base in the portal")),
    (PORTAL_ORDER_VIEWED := "portal.order.viewed", "A customer opened an order in the portal", _("Opened an order in the portal")),
    # Reads that disclose a record's content (staff API detail views and the customer 360 page).
    (CRM_CUSTOMER_VIEWED := "crm.customer.viewed", "Staff opened a customer's record (details, contacts, team)", _("Viewed a customer")),
    (CRM_QUOTE_VIEWED := "crm.quote.viewed", "Staff opened a quote (lines and prices)", _("Viewed a quote")),
    (CRM_ORDER_VIEWED := "crm.order.viewed", "Staff opened an order (lines, invoices, payments)", _("Viewed an order")),
]:
    register(_name, _description, label=_label)
