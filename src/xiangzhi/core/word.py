"""The one way the platform starts a Word document (python-docx): ``document()``.

Every piece of text python-docx writes ends in a ``<w:t>`` element, whether it came through ``add_paragraph``,
``add_heading``, a table cell or a run. The element class registered here for ``w:t`` leaves out the characters XML
cannot hold (``text.xml_safe``), so a control character already stored in a case's description or a party's name
cannot make a document (or the case file that bundles it) fail to generate.
"""

from __future__ import annotations

from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.parser import register_element_cls
from docx.oxml.text.run import CT_Text
from lxml import etree

from .text import xml_safe

_set_text = etree.ElementBase.text.__set__  # type: ignore[attr-defined]


class SafeText(CT_Text):
    """``<w:t>`` whose text is made XML-safe when set."""

    @property
    def text(self) -> str | None:  # type: ignore[override]
        return etree.ElementBase.text.__get__(self)  # type: ignore[attr-defined]

    @text.setter
    def text(self, value: str | None) -> None:
        _set_text(self, xml_safe(value) if isinstance(value, str) else value)


register_element_cls("w:t", SafeText)


def document() -> DocumentObject:
    """A new document on python-docx's default template, whose text is always XML-safe."""
    return Document()
