"""The PDF attestation of a completed course, drawn with ReportLab.

ReportLab's standard fonts need no font file and cover French (WinAnsi), so the PDF stays small (a few KB)
and nothing is fetched from elsewhere.
"""

import io
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .services import Attestation


def render(attestation: Attestation, *, site_name: str = "Tremplin") -> bytes:
    """Return the PDF of an attestation.

    Args:
        attestation: what the attestation states (see :func:`lms.learner_space.services.attestation_for`).
        site_name: the platform's name, printed as the issuer.
    """
    buffer = io.BytesIO()
    title = _("Training attestation")
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{title} — {attestation.course_title}",
        author=site_name,
        subject=attestation.course_title,
        lang=get_language() or "fr",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    styles = getSampleStyleSheet()
    date = formats.date_format(attestation.completed_at, "DATE_FORMAT")
    story = [
        Paragraph(escape(site_name), styles["Normal"]),
        Spacer(1, 8 * mm),
        Paragraph(escape(title), styles["Title"]),
        Spacer(1, 6 * mm),
        Paragraph(
            escape(
                _("%(name)s completed the course « %(course)s » on %(date)s.")
                % {"name": attestation.learner_name, "course": attestation.course_title, "date": date}
            ),
            styles["BodyText"],
        ),
    ]
    if attestation.duration_minutes:
        story.append(
            Paragraph(
                escape(
                    ngettext(
                        "Estimated duration: %(minutes)d minute.",
                        "Estimated duration: %(minutes)d minutes.",
                        attestation.duration_minutes,
                    )
                    % {"minutes": attestation.duration_minutes}
                ),
                styles["BodyText"],
            )
        )
    if attestation.collectivity:
        story.append(
            Paragraph(
                escape(_("Collectivity: %(name)s") % {"name": attestation.collectivity}), styles["BodyText"]
            )
        )
    story += [Spacer(1, 6 * mm), Paragraph(escape(_("Competences and levels validated")), styles["Heading2"])]
    if attestation.validated:
        rows = [[_("Competence"), _("Level validated")]]
        rows += [
            [Paragraph(escape(f"{c.code} {c.title}"), styles["BodyText"]), str(level)]
            for c, level in attestation.validated
        ]
        table = Table(rows, colWidths=[130 * mm, 35 * mm], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                    ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    else:
        story.append(
            Paragraph(escape(_("No competence level was validated by this course.")), styles["BodyText"])
        )
    story += [
        Spacer(1, 10 * mm),
        Paragraph(
            escape(
                _(
                    "Levels are validated by the course's quizzes, by the rule shown to the learner; "
                    "self-assessed levels are not listed."
                )
            ),
            styles["Italic"],
        ),
    ]
    document.build(story)
    return buffer.getvalue()
