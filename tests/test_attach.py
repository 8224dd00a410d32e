"""Context in: real files in a temporary tree, real documents, pages served on loopback; what is
staged, what is left out and why, and what is refused before anything is sent."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest

from chatcli.attach import AttachError, Stage, check, decode, fence, load
from tests.conftest import make_bot
from tests.fake_server import FakeOpenAI


def never(question: str) -> bool:
    raise AssertionError(f"asked: {question}")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "sub").mkdir(parents=True)
    (root / "build").mkdir()
    (root / ".git").mkdir()
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "src" / "sub" / ".gitignore").write_text("notes.txt\n")
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "src" / "sub" / "notes.txt").write_text("ignored by the nested .gitignore\n")
    (root / "src" / "sub" / "util.go").write_text("package sub\n")
    (root / "src" / "中文.txt").write_bytes("你好，世界".encode("gb18030"))
    (root / "src" / "wide.txt").write_bytes("UTF-16 文本".encode("utf-16"))
    (root / "src" / "logo.bin").write_bytes(b"\x89PNG\0\0\0binary")
    (root / "src" / "big.txt").write_text("x" * (600 * 1024))
    (root / "package-lock.json").write_text("{}")
    (root / ".env").write_text("OPENAI_API_KEY=sk-secret-value\n")
    (root / "id_rsa").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    (root / "run.log").write_text("ignored\n")
    (root / "build" / "out.js").write_text("ignored\n")
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    os.symlink(root, root / "src" / "loop")  # a symlink loop: never followed
    os.symlink(root / ".env", root / "src" / "env-link")
    return root


def test_a_folder_is_walked_as_git_would_share_it_and_says_what_it_left_out(tree: Path) -> None:
    item = load("proj", confirm=never, cwd=tree.parent)
    assert (item.label, item.files) == ("proj/", 6)  # the two .gitignore files too
    assert "proj/src/main.py\n```python\nprint('hi')\n```" in item.text
    assert "proj/src/sub/util.go\n```go\npackage sub\n```" in item.text
    assert "你好，世界" in item.text and "UTF-16 文本" in item.text  # GB18030 and UTF-16 read right
    assert ".gitignore\n```" in item.text
    for kept_out in (
        "src/sub/notes.txt\n",
        "build/out.js",
        "run.log\n",
        "HEAD",
        "sk-secret",
        "PRIVATE",
    ):
        assert kept_out not in item.text
    assert "ignored" not in item.text
    skipped = " ".join(item.skipped)
    for reason in (
        "proj/src/logo.bin (binary)",
        "proj/src/big.txt (over 512 KB)",
        "proj/package-lock.json (lock file)",
        "proj/.env (looks secret)",
        "proj/id_rsa (looks secret)",
        "proj/src/loop (symlink)",
        "proj/src/env-link (symlink)",
    ):
        assert reason in skipped
    assert "notes.txt" not in skipped and "run.log" not in skipped  # ignored, not listed


def test_a_secret_named_on_its_own_is_read_only_when_the_user_says_yes(tree: Path) -> None:
    asked: list[str] = []
    with pytest.raises(AttachError, match=r"\.env was not added"):
        load(".env", confirm=lambda q: asked.append(q) or False, cwd=tree)
    assert asked == [".env looks like a secrets file; send it to the model?"]
    assert "sk-secret-value" in load(".env", confirm=lambda q: True, cwd=tree).text


def test_bad_sources_are_one_line_each(tree: Path) -> None:
    with pytest.raises(AttachError, match=r"^nope\.txt: No such file or directory$"):
        load("nope.txt", confirm=never, cwd=tree)
    with pytest.raises(AttachError, match=r"^src/logo\.bin: not a text file"):
        load("src/logo.bin", confirm=never, cwd=tree)
    with pytest.raises(AttachError, match=r"^\*\.rs: no text files match$"):
        load("*.rs", confirm=never, cwd=tree)
    os.mkfifo(tree / "pipe")
    with pytest.raises(AttachError, match=r"^pipe: "):
        load("pipe", confirm=never, cwd=tree)  # never waits for a writer


def test_a_glob_stages_the_files_it_matches(tree: Path) -> None:
    item = load("src/**/*.go", confirm=never, cwd=tree)
    assert item.files == 1 and "package sub" in item.text and "print" not in item.text


def test_a_fence_is_longer_than_any_backtick_run_inside() -> None:
    text = "a\n````\nb"
    fenced = fence("x.md", text)
    assert fenced.startswith("x.md\n`````markdown\n") and fenced.endswith("\n`````")


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("中文".encode(), "中文"),
        ("中文".encode("utf-8-sig"), "中文"),
        ("中文".encode("gb18030"), "中文"),
        ("中文".encode("utf-16-le").join([b"\xff\xfe", b""]), "中文"),
        (b"\x00\x01\x02", None),
    ],
)
def test_encodings(data: bytes, text: str | None) -> None:
    assert decode(data) == text


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF whose content stream shows `text`, with a correct xref table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def minimal_docx(path: Path, text: str) -> None:
    with zipfile.ZipFile(path, "w") as docx:
        docx.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        docx.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
        docx.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>'
            + text
            + "</w:t></w:r></w:p></w:body></w:document>",
        )


def test_pdf_and_word_documents_are_read_as_markdown(tmp_path: Path) -> None:
    (tmp_path / "spec.pdf").write_bytes(minimal_pdf("Quarterly revenue grew"))
    minimal_docx(tmp_path / "notes.docx", "Meeting notes from Tuesday")
    assert "Quarterly revenue grew" in load("spec.pdf", confirm=never, cwd=tmp_path).text
    assert "Meeting notes from Tuesday" in load("notes.docx", confirm=never, cwd=tmp_path).text


def test_pages_are_fetched_with_redirects_and_reduced_to_their_text(server: FakeOpenAI) -> None:
    base = server.base_url.removesuffix("/v1")
    html = "text/html; charset=utf-8"
    server.pages["/article"] = (
        200,
        {"Content-Type": html},
        "<html><head><script>track()</script><style>p{}</style></head>"
        "<body><h1>标题</h1><p>The main text.</p></body></html>".encode(),
    )
    server.pages["/old"] = (302, {"Location": "/article"}, b"")
    server.pages["/gone"] = (404, {"Content-Type": html}, b"<p>no</p>")
    server.pages["/huge"] = (200, {"Content-Type": "text/plain"}, b"x" * (20 * 1024 * 1024))
    item = load(base + "/old", confirm=never)
    assert "标题" in item.text and "The main text." in item.text
    assert "track()" not in item.text and "p{}" not in item.text
    with pytest.raises(AttachError, match=r"/gone: HTTP 404 Not Found$"):
        load(base + "/gone", confirm=never)
    with pytest.raises(AttachError, match=r"/huge: over the 5 MB limit$"):
        load(base + "/huge", confirm=never)
    with pytest.raises(AttachError, match=r"^http://127\.0\.0\.1:1/x: ConnectError"):
        load("http://127.0.0.1:1/x", confirm=never, timeout=5)


def test_what_would_not_fit_the_context_is_refused_naming_the_largest(
    server: FakeOpenAI, tree: Path
) -> None:
    bot = make_bot(server, context_tokens=2000)
    stage = Stage()
    stage.items.append(load("src/main.py", confirm=never, cwd=tree))
    stage.items.append(load("src/big.txt", confirm=never, cwd=tree))
    with pytest.raises(AttachError) as refused:
        check(bot, stage, "总结一下")
    found = re.search(
        r"context ≈([\d,]+)/2,000, ([\d,]+) over with 500 kept for the reply; nothing was sent",
        str(refused.value),
    )
    assert found, refused.value
    used, over = (int(n.replace(",", "")) for n in found.groups())
    assert used - over == 1500  # the budget: the window less the room kept for the reply
    assert re.search(r"largest: src/big\.txt, ≈153,\d{3} tokens, src/main\.py", str(refused.value))
    stage.drop(2)
    content, cost = check(bot, stage, "总结一下")
    assert content == "src/main.py\n```python\nprint('hi')\n```\n\n总结一下"
    assert cost.startswith("+ src/main.py, ≈") and "· context ≈" in cost and cost.endswith("/2,000")
    assert server.requests == []
