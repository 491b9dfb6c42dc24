"""Server-side request forgery: nothing a workspace configures makes the server fetch a URL it
names, except a webhook endpoint on a public address."""

import ipaddress

import pytest
from django.test import override_settings

from inbound.payloads import payload_errors, schema_validator
from inbound.services import trigger_update
from omniflow.http.destinations import is_public_address, validate_url
from tests.support.http_servers import connections_waiting
from tests.support.inbound_triggers import SHIPPED, post_json

pytestmark = pytest.mark.django_db


def test_a_remote_ref_in_a_trigger_shape_is_never_fetched(
    client, tag_trigger, conversation, document_server
):
    # Given a shape whose $ref names a reachable server that would answer
    remote = document_server.url("/doc.json")
    trigger = trigger_update(trigger=tag_trigger, payload_schema={"$ref": f"{remote}#/x"})

    # When a payload is POSTed
    response = post_json(client, trigger, SHIPPED)

    # Then it is refused as unresolvable, the server was not hit and nothing it holds leaks
    assert response.status_code == 422
    assert document_server.hits == []
    assert "LEAKED" not in response.content.decode()


def test_a_ref_relative_to_a_remote_id_is_never_fetched(client, tag_trigger, document_server):
    schema = {"$id": document_server.url("/schemas/root.json"), "$ref": "doc.json#/x"}
    trigger = trigger_update(trigger=tag_trigger, payload_schema=schema)

    response = post_json(client, trigger, SHIPPED)

    assert response.status_code == 422
    assert document_server.hits == []


def test_a_file_ref_is_never_read(client, tag_trigger, tmp_path):
    secret_file = tmp_path / "secret.json"
    secret_file.write_text('{"x": {"const": "LOCAL-FILE-CONTENT"}}')
    trigger = trigger_update(
        trigger=tag_trigger, payload_schema={"$ref": f"file://{secret_file}#/x"}
    )

    response = post_json(client, trigger, SHIPPED)

    assert response.status_code == 422
    assert "LOCAL-FILE-CONTENT" not in response.content.decode()


def test_a_ref_to_a_server_that_never_answers_does_not_hold_the_request(
    client, tag_trigger, silent_server
):
    host, port = silent_server.getsockname()
    trigger = trigger_update(
        trigger=tag_trigger, payload_schema={"$ref": f"http://{host}:{port}/never.json"}
    )

    response = post_json(client, trigger, SHIPPED)

    assert response.status_code == 422
    assert connections_waiting(silent_server) == 0


def test_the_validator_factory_resolves_refs_inside_the_schema(document_server):
    schema = {
        "$defs": {"id": {"type": "string"}},
        "type": "object",
        "properties": {"id": {"$ref": "#/$defs/id"}},
    }

    assert schema_validator(schema).is_valid({"id": "a"})
    assert not schema_validator(schema).is_valid({"id": 1})
    remote = {"$ref": document_server.url("/doc.json#/x")}
    assert "non_field_errors" in payload_errors(schema=remote, payload=1)
    assert document_server.hits == []


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:5db8:d70e::1",  # 6to4 of a public address: the relay is not ours to trust
        "fec0::1",  # site-local (deprecated, still routed inside some networks)
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "::ffff:10.0.0.1",  # IPv4-mapped private
        "::127.0.0.1",  # IPv4-compatible loopback
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo (client 10.0.0.1 obfuscated)
        "127.0.0.1",
        "169.254.169.254",
        "fd00:ec2::254",
        "::1",
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
    ],
)
def test_private_addresses_are_refused_however_they_are_written(address):
    assert is_public_address(address) is False


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_allowed(address):
    assert is_public_address(address) is True


def test_nat64_of_a_public_address_is_allowed():
    public = ipaddress.ip_address("93.184.215.14")
    nat64 = ipaddress.ip_address(int(ipaddress.ip_address("64:ff9b::")) | int(public))

    assert is_public_address(str(nat64)) is True


@override_settings(OMNIFLOW_WEBHOOK_ALLOW_PRIVATE_URLS=False)
@pytest.mark.parametrize("host", ["[2002:7f00:1::1]", "[fec0::1]", "[64:ff9b::a9fe:a9fe]"])
def test_an_endpoint_url_on_an_embedded_private_address_is_refused(host):
    with pytest.raises(ValueError, match="private"):
        validate_url(f"https://{host}/hook")
