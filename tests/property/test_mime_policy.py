"""The robot's mail policy reads MIME structure like policy.default: property tests over generated headers."""

from __future__ import annotations

import base64
from email import policy
from email.message import Message
from email.parser import BytesParser

from hypothesis import given, settings
from hypothesis import strategies as st

from robot.mail.mime_policy import MAIL_POLICY
from robot.mail.parts import content_type, disposition, filename, payload, transfer_encoding, type_param

TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-+.", min_size=1, max_size=12)
NAME_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
FOLD = st.sampled_from(["", "\r\n ", "\r\n\t"])


@st.composite
def file_name_parameter(draw: st.DrawFn) -> str:
    """filename= as a mail program writes it: a token, a quoted string, RFC 2231 (with continuations) or RFC 2047."""
    name = draw(NAME_TEXT)
    shape = draw(st.sampled_from(["token", "quoted", "2231", "2231-split", "2047"]))
    if shape == "token" or (shape == "quoted" and not name.isascii()):
        return f"filename={draw(TOKEN)}.pdf"
    if shape == "quoted":
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'filename="{escaped}.pdf"'
    encoded = "".join(ch if ch.isalnum() and ch.isascii() else "".join(f"%{b:02X}" for b in ch.encode())
                      for ch in name + ".pdf")
    if shape == "2231":
        return f"filename*=utf-8''{encoded}"
    if shape == "2231-split":
        cut = len(encoded) // 2
        while cut > 0 and "%" in encoded[max(cut - 2, 0):cut]:
            cut -= 1
        return f"filename*0*=utf-8''{encoded[:cut]};{draw(FOLD)} filename*1*={encoded[cut:]}" if cut else \
            f"filename*=utf-8''{encoded}"
    return f'filename="=?utf-8?b?{base64.b64encode((name + ".pdf").encode()).decode()}?="'


@st.composite
def leaf(draw: st.DrawFn) -> bytes:
    major, minor = draw(st.sampled_from([("application", "pdf"), ("application", "octet-stream"),
                                         ("text", "plain"), ("APPLICATION", "PDF"), ("application", "zip")]))
    params = draw(st.lists(st.tuples(st.sampled_from(["charset", "name", "format"]), TOKEN), max_size=2,
                           unique_by=lambda p: p[0]))
    type_line = f"{major}/{minor}" + "".join(f";{draw(FOLD)} {key}={value}" for key, value in params)
    lines = [f"Content-Type: {type_line}"]
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["attachment", "inline", "Attachment"]))
        lines.append(f"Content-Disposition: {kind};{draw(FOLD)} {draw(file_name_parameter())}")
    encoding = draw(st.sampled_from(["base64", "quoted-printable", "7bit", "Base64"]))
    lines.append(f"Content-Transfer-Encoding: {encoding}")
    body = {"base64": "JVBERi0xLjQKJcOkw7zDtsOfCg==", "quoted-printable": "abc=3D=C3=A6", "7bit": "plain text"}[
        encoding.lower()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


@st.composite
def mail(draw: st.DrawFn) -> bytes:
    boundary = draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789'()+_,-./:=?", min_size=1, max_size=40))
    # an unquoted boundary with an apostrophe (an RFC 2046 bchar) is one known difference: the modern policy's
    # parser does not see the boundary and reads one part, ours reads the parts; mail programs quote such boundaries
    quoted = draw(st.booleans()) or any(ch in boundary for ch in "'()/:=?,")
    parts = draw(st.lists(leaf(), min_size=1, max_size=4))
    written = f'"{boundary}"' if quoted else boundary
    head = ("From: a@laege.dk\r\nTo: b@kommune.dk\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed;{draw(FOLD)} boundary={written}\r\n\r\n").encode()
    separator = f"--{boundary}\r\n".encode()
    return head + b"".join(separator + part for part in parts) + f"--{boundary}--\r\n".encode()


def reading(entity: Message) -> tuple[object, ...]:
    """Everything the walk reads from one entity's structure headers and body (a file name as names.py keeps it:
    spaces around it are dropped)."""
    name = filename(entity)
    return (content_type(entity), disposition(entity), name and name.strip(), type_param(entity, "charset"),
            transfer_encoding(entity), payload(entity) if not entity.is_multipart() else None)


# a seventh of the profile's examples: each one is two parses of a whole mail
@settings(max_examples=max(settings.default.max_examples // 7, 1))
@given(mail())
def test_structure_reads_the_same_as_the_modern_policy(raw: bytes) -> None:
    ours = BytesParser(policy=MAIL_POLICY).parsebytes(raw)
    modern = BytesParser(policy=policy.default).parsebytes(raw)
    ours_parts, modern_parts = list(ours.walk()), list(modern.walk())
    assert len(ours_parts) == len(modern_parts)
    for mine, theirs in zip(ours_parts, modern_parts, strict=True):
        assert reading(mine) == reading(theirs)


def test_other_headers_are_still_parsed_by_the_modern_policy() -> None:
    raw = b"From: =?utf-8?q?L=C3=A6gehuset?= <klinik@laege.dk>\r\nSubject: =?utf-8?q?L=C3=86_125?=\r\n\r\nx\r\n"
    message = BytesParser(policy=MAIL_POLICY).parsebytes(raw)
    assert message["subject"] == "LÆ 125"
    assert message["from"].addresses[0].addr_spec == "klinik@laege.dk"
