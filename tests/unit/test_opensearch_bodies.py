"""The OpenSearch geo index's requests, tested as data, without a server.

No OpenSearch server can run on the machine this suite was written on, so
the adapter's request bodies are checked here as pure functions; the same
adapter runs against a real server in ``tests/contract/test_geo_contract.py``
when ``ECHO_TEST_OPENSEARCH_URL`` is set.
"""

from __future__ import annotations

import pytest

from echosphere.backends.opensearch_geo import (
    DEFAULT_INDEX,
    client_options,
    document,
    hide_body,
    index_body,
    search_body,
)
from echosphere.core.ids import UserId
from echosphere.core.ports import GeoEntry


def test_mapping_has_a_geo_point() -> None:
    """The index maps location as geo_point, owner as keyword and the times as numbers."""
    properties = index_body()["mappings"]["properties"]
    assert properties["location"] == {"type": "geo_point"}
    assert properties["owner"] == {"type": "keyword"}
    assert {properties[f]["type"] for f in ("expires_at", "available_at")} == {"double"}
    assert index_body()["mappings"]["dynamic"] == "strict"


def test_document_matches_the_mapping() -> None:
    """A document has exactly the mapped fields, visible at once."""
    doc = document(GeoEntry("B1", UserId("U1"), 48.85, 2.35, 99.0))
    assert doc == {
        "owner": "U1",
        "location": {"lat": 48.85, "lon": 2.35},
        "expires_at": 99.0,
        "available_at": 0.0,
    }
    assert set(doc) == set(index_body()["mappings"]["properties"])
    assert hide_body(5.0) == {"doc": {"available_at": 5.0}}


def test_search_filters_and_randomises() -> None:
    """geo_distance, unexpired, visible; not the owner's, not excluded ids; one random hit."""
    body = search_body(
        lat=48.85,
        lon=2.35,
        radius_km=12.5,
        now=100.0,
        exclude_owner="U1",
        exclude_ids=["B1", "B2"],
        seed=42,
    )
    assert body["size"] == 1
    scored = body["query"]["function_score"]
    assert scored["functions"] == [{"random_score": {"seed": 42, "field": "_seq_no"}}]
    assert scored["boost_mode"] == "replace"
    query = scored["query"]["bool"]
    assert query["filter"] == [
        {"geo_distance": {"distance": "12.5km", "location": {"lat": 48.85, "lon": 2.35}}},
        {"range": {"expires_at": {"gt": 100.0}}},
        {"range": {"available_at": {"lte": 100.0}}},
    ]
    assert query["must_not"] == [{"term": {"owner": "U1"}}, {"ids": {"values": ["B1", "B2"]}}]


def test_search_without_exclusions_has_no_ids_clause() -> None:
    """An empty exclusion list adds no ids clause."""
    body = search_body(lat=0, lon=0, radius_km=1, now=0, exclude_owner="U", exclude_ids=[], seed=1)
    assert body["query"]["function_score"]["query"]["bool"]["must_not"] == [
        {"term": {"owner": "U"}}
    ]


def test_url_options() -> None:
    """The URL gives host, port, credentials, TLS and the index name."""
    options, index = client_options("opensearch://admin:s%40cret@search:9201/bottles?tls=true")
    assert options["hosts"] == [{"host": "search", "port": 9201}]
    assert options["http_auth"] == ("admin", "s@cret")
    assert options["use_ssl"] is True and options["verify_certs"] is True
    assert index == "bottles"
    plain, default = client_options("opensearch://localhost")
    assert plain["hosts"] == [{"host": "localhost", "port": 9200}]
    assert plain["use_ssl"] is False and "http_auth" not in plain
    assert default == DEFAULT_INDEX


@pytest.mark.parametrize("url", ["http://localhost:9200", "opensearch:///index"])
def test_bad_urls(url: str) -> None:
    """Other schemes and URLs without a host are refused."""
    with pytest.raises(ValueError, match="OpenSearch URL"):
        client_options(url)
