"""PDFs with active content through `lae-robot process`: filed as they came with a Danish warning in the sidecar, the
caseworker's notice and the ledger; escalated where the sender rules say so; a normal PDF says nothing of it."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from tests.e2e.reason_mails import certificate, mail
from tests.e2e.test_process import ROOT, Home
from tests.hostile_pdfs import (
    with_action_cycle,
    with_embedded_file,
    with_javascript_name_tree,
    with_javascript_open_action,
    with_launch_action,
)

HOVEDSTADEN = "Psykiatrien Region Hovedstaden <attester@regionh.dk>"
WARNINGS = {
    "open_action.pdf": ["PDF'en indeholder JavaScript (ikke kørt)"],
    "name_tree.pdf": ["PDF'en indeholder JavaScript (ikke kørt)"],
    "launch.pdf": ["PDF'en indeholder en handling, der kan starte et program eller åbne en fil (ikke kørt)"],
    "embedded.pdf": ["PDF'en indeholder indlejrede filer (ikke åbnet)"],
    "normal.pdf": [],
}


def write_mails(folder: Path, mails: dict[str, bytes]) -> list[str]:
    paths = []
    for name, raw in mails.items():
        paths.append(str(folder / f"{name}.eml"))
        Path(paths[-1]).write_bytes(raw)
    return paths


def decisions(home: Home) -> dict[str, dict[str, object]]:
    ledger = sqlite3.connect(home.folder / "var" / "ledger.sqlite3")
    try:
        rows = ledger.execute("SELECT name, decision FROM documents").fetchall()
    finally:
        ledger.close()
    return {name: json.loads(decision) for name, decision in rows}


def test_active_pdfs_are_filed_as_they_came_and_the_sidecar_notice_and_ledger_say_so(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    pdfs = {
        "open_action.pdf": with_javascript_open_action(certificate()),
        "name_tree.pdf": with_javascript_name_tree(certificate()),
        "launch.pdf": with_launch_action(certificate()),
        "embedded.pdf": with_embedded_file(certificate()),
        "normal.pdf": certificate(),
    }
    files = write_mails(tmp_path, {name: mail((name, pdf), tag=name) for name, pdf in pdfs.items()})

    records = home.process(*files)

    assert [(r["attachment"], r["outcome"], r["case_id"]) for r in records] == [
        (name, "filed", "SD-1001") for name in pdfs], records
    sidecars = {}
    for path in home.archived():  # the originals, byte for byte
        sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        sidecars[sidecar["attachment_name"]] = sidecar
        assert path.read_bytes() == pdfs[sidecar["attachment_name"]]
    assert {name: sidecar["warnings"] for name, sidecar in sidecars.items()} == WARNINGS
    found = {name: [a["finding"] for a in s["evidence"]["extraction"]["active_content"]] for name, s in sidecars.items()}
    assert found == {"open_action.pdf": ["javascript"], "name_tree.pdf": ["javascript"],
                     "launch.pdf": ["launch_action"], "embedded.pdf": ["embedded_file"], "normal.pdf": []}
    assert "JavaScript" not in json.dumps(sidecars["normal.pdf"], ensure_ascii=False)
    # the caseworker's notice says it in Danish; the normal one says nothing of it
    notices = {}
    for notice in home.notices():
        body = notice.get_body()
        assert body is not None
        text = body.get_content()
        name = next(n for n, s in sidecars.items() if s["document_sha256"][:8] in text)  # Dokument: ..._<sha8>.pdf
        notices[name] = text
    assert set(notices) == set(pdfs)
    for name, warnings in WARNINGS.items():
        assert all(warning in notices[name] for warning in warnings), notices[name]
        assert ("Bemærk:" in notices[name]) == bool(warnings), notices[name]
    # the ledger's decision records it
    assert {name: d.get("active_content") for name, d in decisions(home).items()} == {
        "open_action.pdf": ["javascript"], "name_tree.pdf": ["javascript"], "launch.pdf": ["launch_action"],
        "embedded.pdf": ["embedded_file"], "normal.pdf": None}


def test_the_sender_rules_escalate_active_pdfs_with_an_organisation_allowed_to_send_them(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    senders = rules / "senders.toml"
    text = senders.read_text(encoding="utf-8").replace("\nescalate_active_pdf = false\n", "\nescalate_active_pdf = true\n")
    senders.write_text(text.replace('domains = ["rn.dk"]\n', 'domains = ["rn.dk"]\nescalate_active_pdf = false\n'),
                       encoding="utf-8")
    home = Home(tmp_path / "home")
    home.config.write_text(home.config.read_text(encoding="utf-8").replace(str(ROOT / "rules"), str(rules)),
                           encoding="utf-8")
    files = write_mails(tmp_path, {
        "hovedstaden_js": mail(("js.pdf", with_javascript_open_action(certificate())), sender=HOVEDSTADEN, tag="1"),
        "hovedstaden_cycle": mail(("cycle.pdf", with_action_cycle(certificate())), sender=HOVEDSTADEN, tag="2"),
        "hovedstaden_normal": mail(("normal.pdf", certificate()), sender=HOVEDSTADEN, tag="3"),
        "nordjylland_js": mail(("rn_js.pdf", with_javascript_name_tree(certificate())), tag="4"),
    })

    records = home.process(*files)

    assert [(r["attachment"], r["outcome"], r["reason"]) for r in records] == [
        ("js.pdf", "escalated", "active_pdf_content"), ("cycle.pdf", "escalated", "active_pdf_content"),
        ("normal.pdf", "filed", None), ("rn_js.pdf", "filed", None)], records
    escalations = [n for n in home.notices() if "(active_pdf_content)" in str(n["Subject"])]
    assert len(escalations) == 2
    for notice in escalations:
        body = notice.get_body()
        assert body is not None and "PDF'en indeholder JavaScript (ikke kørt)" in body.get_content()
