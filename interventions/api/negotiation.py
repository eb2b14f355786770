"""Content negotiation for the API (kept apart from the views: settings import it early)."""

from rest_framework.negotiation import DefaultContentNegotiation


class FormatParameterIgnored(DefaultContentNegotiation):
    """The data is JSON only, so `?format=<anything>` is ignored rather than answered with 404.

    Views with several renderers (the schema's `?format=json|yaml`) negotiate as usual."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
