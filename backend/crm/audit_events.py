"""CRM audit event types (discovered by the audit app at start-up)."""

from backend.audit.events import register

for _name, _description in [
    ("crm.access.denied", "Someone asked for a CRM record they may not see or change"),
    ("crm.customer.created", "A customer (account) was created"),
    ("crm.customer.updated", "A customer's details changed"),
    ("crm.customer.reassigned", "A customer was handed to another owner"),
    ("crm.customer.team_changed", "A customer's account team changed"),
    ("crm.contact.created", "A contact person was added to a customer"),
    ("crm.contact.updated", "A contact person's details changed"),
    ("crm.opportunity.created", "An opportunity was opened"),
    ("crm.opportunity.updated", "An opportunity's details changed"),
    ("crm.opportunity.stage_changed", "An opportunity moved along the funnel"),
    ("crm.quote.created", "A quote was drafted"),
    ("crm.quote.status_changed", "A quote was sent, accepted, rejected, expired or superseded"),
    ("crm.quote.document_attached", "A quote's rendered document was attached"),
    ("crm.order.created", "An order was recorded"),
    ("crm.order.status_changed", "An order was fulfilled or cancelled"),
    ("crm.invoice.issued", "An invoice was issued against an order"),
    ("crm.payment.recorded", "A payment was received against an order"),
    ("crm.service.created", "A service record was opened"),
    ("crm.service.dispatch_changed", "A service record moved along the dispatch states"),
    ("crm.service.rated", "A customer's satisfaction score was recorded"),
    ("crm.article.created", "A knowledge article was drafted"),
    ("crm.article.updated", "A knowledge article changed"),
    ("crm.article.published", "A knowledge article was published"),
    ("crm.activity.logged", "A visit, call, e-mail, note or reminder was logged"),
    ("crm.activity.completed", "A reminder was marked done"),
    ("crm.document.linked", "A document was linked to a CRM record"),
    ("crm.document.unlinked", "A document link was removed"),
    ("crm.report.exported", "A report was exported as CSV"),
    ("crm.product.created", "A product was added to the catalogue"),
]:
    register(_name, _description)
