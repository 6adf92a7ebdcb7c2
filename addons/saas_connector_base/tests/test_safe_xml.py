import pytest

from odoo.addons.saas_connector_base.lib.safe_xml import XMLRefused, parse

DOCTYPE_REFUSED = "XML with a document type declaration is not accepted"


def test_a_well_formed_document_gives_its_root():
    root = parse(b'<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:x"><b>text</b></a>')
    assert root.tag == "{urn:x}a"
    assert root.findtext("{urn:x}b") == "text"


@pytest.mark.parametrize(
    "body",
    [
        # An external entity: a file of the server would be read into the document.
        b'<!DOCTYPE a [<!ENTITY leak SYSTEM "file:///etc/passwd">]><a>&leak;</a>',
        # A parameter entity fetched from the network.
        b'<!DOCTYPE a [<!ENTITY % remote SYSTEM "http://127.0.0.1:1/x.dtd"> %remote;]><a/>',
        # Entities expanding into each other ("billion laughs").
        b'<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;">]><a>&l2;</a>',
        # An external DTD.
        b'<!DOCTYPE a SYSTEM "http://127.0.0.1:1/a.dtd"><a/>',
    ],
)
def test_a_document_type_declaration_is_refused(body):
    with pytest.raises(XMLRefused, match=DOCTYPE_REFUSED):
        parse(body)


@pytest.mark.parametrize("body", [b"", b"<a>", b"<a></b>", b"not xml", b"<a>&undeclared;</a>"])
def test_malformed_xml_is_refused(body):
    with pytest.raises(XMLRefused, match="malformed XML"):
        parse(body)
