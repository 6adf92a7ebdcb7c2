"""Parsing XML that a sender controls: for providers whose deliveries are XML (SOAP outbound
messages). Nothing in a delivery may make the parser read a file, reach the network or expand
entities, and a document type declaration — the vehicle of all three — is refused outright."""

from lxml import etree


class XMLRefused(ValueError):
    """A body that is not well-formed XML, or carries a document type declaration. The message
    is short and safe to send back."""


def parse(body):
    """The root element of ``body`` (bytes). Raises :class:`XMLRefused`."""
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise XMLRefused("malformed XML") from None
    if root.getroottree().docinfo.doctype:
        raise XMLRefused("XML with a document type declaration is not accepted")
    return root
