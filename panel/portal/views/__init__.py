"""Customer-facing pages: server-rendered, enhanced with htmx, every page and form working without JavaScript.
Views stay thin: they read through the selectors and write through the service functions the API uses, so
validation, tenancy and the audit log are the API's."""
