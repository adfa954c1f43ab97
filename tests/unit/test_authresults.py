"""Authentication-Results (RFC 8601) as our gateway writes them: comments, quotes, versions and case."""

from __future__ import annotations

from robot.decisions.authresults import parse_authentication_results, stamped_by


def test_methods_results_and_properties_are_read() -> None:
    fields = parse_authentication_results(
        "mx.kommune.example 1; spf=pass (sender IP is 192.0.2.1; ok) smtp.mailfrom=rn.dk;\r\n"
        ' dkim=pass (2048-bit key; "quoted") header.d=rn.dk header.s=sel1 header.b="ab;cd";'
        " DMARC=Pass (p=reject) header.from=RN.DK")
    assert fields is not None and fields.authserv_id == "mx.kommune.example"
    assert [(r.method, r.result) for r in fields.results] == [("spf", "pass"), ("dkim", "pass"), ("dmarc", "pass")]
    assert fields.results[1].properties["header.d"] == "rn.dk"
    assert fields.results[2].properties["header.from"] == "RN.DK"


def test_a_field_without_results_and_one_without_an_id() -> None:
    empty = parse_authentication_results("mx.kommune.example; none")
    assert empty is not None and empty.results == ()
    assert parse_authentication_results("") is None


def test_only_our_gateways_fields_are_kept() -> None:
    values = ["mx.evil.example; dmarc=pass", "MX.Kommune.Example.; dmarc=fail", "mx.kommune.example.evil; dmarc=pass"]
    kept = stamped_by(values, ["mx.kommune.example"])
    assert [(f.authserv_id, [r.result for r in f.results]) for f in kept] == [("mx.kommune.example", ["fail"])]
