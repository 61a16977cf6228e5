"""The submitted form as a PDF (F-IN-2): what the submitter sent, laid out for reading and
archiving. Rendering is pure (no I/O besides fonts) and deterministic for the same input."""

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

STOCKHOLM = ZoneInfo("Europe/Stockholm")

# DejaVu covers far more scripts than Vera (bundled with reportlab); use it when installed.
_FONT_CANDIDATES = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (
        Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
        Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf",
    ),
)
_fonts: tuple[str, str] | None = None


def _register_fonts() -> tuple[str, str]:
    global _fonts
    if _fonts is None:
        for regular, bold in _FONT_CANDIDATES:
            if regular.exists() and bold.exists():
                pdfmetrics.registerFont(TTFont("FormSans", str(regular)))
                pdfmetrics.registerFont(TTFont("FormSans-Bold", str(bold)))
                _fonts = ("FormSans", "FormSans-Bold")
                break
        else:  # pragma: no cover - reportlab always ships Vera
            _fonts = ("Helvetica", "Helvetica-Bold")
    return _fonts


@dataclass(frozen=True)
class FormDocument:
    """What goes on the PDF."""

    case_type_name: str
    organization_name: str
    case_id: int
    version: int
    submitted_at: datetime
    submitter: str
    form: list[dict[str, Any]]


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def filename(case_type_name: str, version: int) -> str:
    """The attachment's name: the case type, and the version from the second one on."""
    safe = "".join(c for c in case_type_name if c not in '/\\:*?"<>|').strip() or "Formulär"
    return f"{safe}.pdf" if version == 1 else f"{safe} (version {version}).pdf"


def render(document: FormDocument) -> bytes:
    """The PDF bytes of one form version."""
    regular, bold = _register_fonts()
    styles = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=styles["Normal"], fontName=regular, fontSize=10, leading=13
    )
    label = ParagraphStyle("label", parent=body, fontName=bold)
    heading = ParagraphStyle("h1", parent=styles["Heading1"], fontName=bold, fontSize=16)
    section = ParagraphStyle("h2", parent=styles["Heading2"], fontName=bold, fontSize=12)

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    submitted = document.submitted_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    story: list[Any] = [
        para(document.case_type_name, heading),
        para(
            f"Ärende id: {document.case_id} · Förvaltning: {document.organization_name} · "
            f"Skickades in: {submitted}"
            + (f" · Version: {document.version}" if document.version > 1 else "")
        ),
        para(f"Inskickat av: {document.submitter}"),
        Spacer(1, 6 * mm),
    ]
    for sec in document.form:
        if sec.get("section"):
            story.append(para(str(sec["section"]), section))
        rows = [
            [para(str(f.get("label") or f.get("key") or ""), label), para(_value(f.get("value")))]
            for f in sec.get("fields", [])
        ]
        if rows:
            table = Table(rows, colWidths=[60 * mm, 110 * mm])
            table.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                    ]
                )
            )
            story.append(table)
        story.append(Spacer(1, 4 * mm))

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=document.case_type_name,
        author=document.organization_name,
        subject=f"Ärende {document.case_id}",
        creator="Ärendeplattform",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        invariant=1,
    )
    doc.build(story)
    return out.getvalue()
