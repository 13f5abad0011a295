"""Messages the services raise (in English, the API's language) that the web shows translated.

The services must not depend on the active language, so their messages are plain strings. Listing
them here with gettext_noop puts them in the catalogue; backend/web/errors.py passes each message
through gettext, so a person using the Chinese interface reads them in Chinese.
"""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = (
    gettext_noop("A name is required."),
    gettext_noop("A product code is required."),
    gettext_noop("A product with this code exists already."),
    gettext_noop("A reason is required."),
    gettext_noop("A reminder needs a due date."),
    gettext_noop("A resolution is required."),
    gettext_noop("A subject is required."),
    gettext_noop("A title is required."),
    gettext_noop("Add at least one line."),
    gettext_noop("At most 200 characters."),
    gettext_noop("Choose an active service engineer."),
    gettext_noop("Closed deals must be reopened first."),
    gettext_noop("Enter a number."),
    gettext_noop("Enter a whole number from 1 to 5."),
    gettext_noop("Give a user or a group."),
    gettext_noop("Keep the title under 300 characters."),
    gettext_noop("No such document."),
    gettext_noop("No such product."),
    gettext_noop("No such quote."),
    gettext_noop("Only a reminder has a due date; log the next step as a reminder."),
    gettext_noop("Pick an opportunity of this customer."),
    gettext_noop("That is the current stage."),
    gettext_noop("The article needs a body."),
    gettext_noop("The deal is open."),
    gettext_noop("The discount must be between 0 and 100 percent."),
    gettext_noop("The due date must not be before the issue date."),
    gettext_noop("The file is empty."),
    gettext_noop("The invoice belongs to another order."),
    gettext_noop("The opportunity belongs to another customer."),
    gettext_noop("The order belongs to another customer."),
    gettext_noop("The quantity must be more than zero."),
    gettext_noop("The quote belongs to another customer."),
    gettext_noop("The unit price must not be negative."),
    gettext_noop("This is not a quote document."),
    gettext_noop("This user is inactive."),
    gettext_noop("The document is not checked out."),
    gettext_noop("Say why the deal was lost."),
    gettext_noop("Describe the resolution."),
    gettext_noop("The engineer must be an active member of the service staff."),
    gettext_noop("Only a draft can be approved."),
    gettext_noop("The request conflicts with the current state."),
    gettext_noop("The request is invalid."),
    gettext_noop("The document details are invalid."),
    gettext_noop("(none given)"),
)
