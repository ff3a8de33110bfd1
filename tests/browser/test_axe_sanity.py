"""The axe-core audit does find violations (so that a clean result means something)."""

import pytest

from .test_pages import _axe

pytestmark = pytest.mark.browser


def test_axe_audit_reports_an_image_without_alternative_text(page):
    page.set_content(
        '<!DOCTYPE html><html lang="fr"><head><title>t</title></head>'
        '<body><main><img src="data:,"></main></body></html>'
    )
    assert "image-alt" in [violation for violation, _nodes in _axe(page)]
