from pathlib import Path

import pytest
from lxml import etree

from odoo.addons.saas_crm_sync.lib.salesforce_outbound import (
    ACK,
    ACK_CONTENT_TYPE,
    MAX_NOTIFICATIONS,
    EnvelopeError,
    parse,
)

# A real org's Opportunity outbound message (API 47.0), see fixtures/PROVENANCE.md.
REAL = (
    Path(__file__).parent / "fixtures" / "salesforce-outbound-message-opportunity.xml"
).read_bytes()
NOTIFICATION = REAL[REAL.index(b"<Notification>") : REAL.index(b"</notifications>")]


def test_the_real_message_is_read_whole():
    message = parse(REAL)
    assert message.organization_id == "00D7F00000107XsUAI"
    assert message.action_id == "04k7F0000008V3hQAE"
    assert message.session_id is None  # xsi:nil: the action does not send a session
    assert (
        message.enterprise_url == "https://ap5.salesforce.com/services/Soap/c/47.0/00D7F00000107Xs"
    )
    assert message.partner_url == "https://ap5.salesforce.com/services/Soap/u/47.0/00D7F00000107Xs"
    [notification] = message.notifications
    assert notification.id == "04l7F000008aeAyQAI"
    assert notification.sobject_type == "Opportunity"
    assert notification.record_id == "0067F000003pmdWQAQ"
    assert notification.fields == {
        "Id": "0067F000003pmdWQAQ",
        "AccountId": "0017F000007ydJmQAI",
        "Amount": "120000.0",
        "CloseDate": "2017-04-03",
        "LeadSource": "Phone Inquiry",
        "Name": "Express Logistics SLA",
        "StageName": "Perception Analysis",
    }


def test_a_session_id_is_read_when_the_action_sends_it():
    body = REAL.replace(b'<SessionId xsi:nil="true"/>', b"<SessionId>00Dx!AQ0Ag</SessionId>")
    assert parse(body).session_id == "00Dx!AQ0Ag"


def test_several_notifications_and_nil_fields():
    second = NOTIFICATION.replace(b"04l7F000008aeAyQAI", b"04l7F000008aeAzQAI").replace(
        b"<sf:LeadSource>Phone Inquiry</sf:LeadSource>", b'<sf:LeadSource xsi:nil="true"/>'
    )
    body = REAL.replace(b"</notifications>", second + b"</notifications>")
    first, other = parse(body).notifications
    assert (first.id, other.id) == ("04l7F000008aeAyQAI", "04l7F000008aeAzQAI")
    assert first.fields["LeadSource"] == "Phone Inquiry"
    assert other.fields["LeadSource"] is None


def test_the_sobject_prefix_is_whatever_the_sender_declared():
    body = (
        REAL.replace(b'"sf:Opportunity" xmlns:sf=', b'"q:Opportunity" xmlns:q=')
        .replace(b"<sf:", b"<q:")
        .replace(b"</sf:", b"</q:")
    )
    assert parse(body).notifications[0].fields["Name"] == "Express Logistics SLA"


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
"""
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
"""
ENVELOPE = REAL.split(b"?>", 1)[1]

REFUSED = [
    ("external entity", XXE + ENVELOPE.replace(b"Express Logistics SLA", b"&xxe;")),
    ("entity expansion", BOMB + ENVELOPE.replace(b"Express Logistics SLA", b"&lol2;")),
    ("doctype alone", b"<!DOCTYPE x>" + ENVELOPE),
    ("not xml", b'{"not": "xml"}'),
    ("truncated", REAL[:-30]),
    ("empty", b""),
    ("other root", REAL.replace(b"soapenv:Envelope", b"soapenv:Envelop")),
    (
        "soap 1.2",
        REAL.replace(
            b"http://schemas.xmlsoap.org/soap/envelope/",
            b"http://www.w3.org/2003/05/soap-envelope",
        ),
    ),
    ("other namespace", REAL.replace(b"http://soap.sforce.com/2005/09/outbound", b"urn:other")),
    ("no organization", REAL.replace(b"<OrganizationId>00D7F00000107XsUAI</OrganizationId>", b"")),
    ("no action", REAL.replace(b"<ActionId>04k7F0000008V3hQAE</ActionId>", b"")),
    ("no notification id", REAL.replace(b"<Id>04l7F000008aeAyQAI</Id>", b"")),
    ("no xsi:type", REAL.replace(b' xsi:type="sf:Opportunity"', b"")),
    (
        "type outside sobject ns",
        REAL.replace(b'xsi:type="sf:Opportunity"', b'xsi:type="xsd:Opportunity"'),
    ),
    (
        "nested field",
        REAL.replace(
            b"<sf:Name>Express Logistics SLA</sf:Name>", b"<sf:Name><sf:x>1</sf:x></sf:Name>"
        ),
    ),
    (
        "too many notifications",
        REAL.replace(b"</notifications>", NOTIFICATION * MAX_NOTIFICATIONS + b"</notifications>"),
    ),
]


@pytest.mark.parametrize("body", [body for _, body in REFUSED], ids=[n for n, _ in REFUSED])
def test_anything_but_the_documented_shape_is_refused(body):
    with pytest.raises(EnvelopeError):
        parse(body)


def test_an_entity_is_never_resolved_into_a_field():
    with pytest.raises(EnvelopeError, match="DOCTYPE"):
        parse(XXE + ENVELOPE.replace(b"Express Logistics SLA", b"&xxe;"))


def test_a_full_message_of_100_notifications_is_read():
    body = REAL.replace(b"</notifications>", NOTIFICATION * 99 + b"</notifications>")
    assert len(parse(body).notifications) == MAX_NOTIFICATIONS


def test_text_bodies_are_refused():
    with pytest.raises(TypeError):
        parse(REAL.decode())


def test_the_acknowledgement_is_what_salesforce_waits_for():
    assert ACK_CONTENT_TYPE.startswith("text/xml")
    root = etree.fromstring(ACK)
    assert root.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Envelope"
    [body] = root
    assert body.tag == "{http://schemas.xmlsoap.org/soap/envelope/}Body"
    [response] = body
    assert response.tag == "{http://soap.sforce.com/2005/09/outbound}notificationsResponse"
    [ack] = response
    assert ack.tag == "{http://soap.sforce.com/2005/09/outbound}Ack"
    assert ack.text == "true"
