"""The header of Tremplin's admin pages."""


class TitledHeaderMixin:
    """Show the page's own title in the Wagtail admin's header.

    The header shows the breadcrumbs, whose last item reads as the current page; the page title itself is a
    hidden heading for screen readers. ``WagtailAdminTemplateMixin``'s breadcrumbs stop at « Home », so a view
    that adds nothing is headed « Accueil »: this adds the page (title and subtitle) as the last item, as
    Wagtail's own listing views do.
    """

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]
