"""Nothing from data reaches the terminal raw: every human-readable CLI output and error line.

Names, titles, prompts, run errors and ids are generated hostile text (control characters, terminal
escapes such as OSC 52 or a window title, bidi overrides, markup). Human output shows them escaped,
`--json` and export give them back exactly, and an error line quoting one is still one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.factories import lecture_doc
from tests.hostile import assert_terminal_safe, hostile_name, mutated_document
from tui_editor.cli import main
from tui_editor.core.clock import utcnow
from tui_editor.core.exchange import validate_lecture
from tui_editor.core.store import open_store

#: Hostile names a database can store (an import refuses NUL, see tests/core/test_exchange_fuzz.py).
STORABLE = hostile_name().filter(lambda text: "\x00" not in text)

FEW = settings(
    max_examples=8,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example runs commands: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _seed(data_dir: Path, title: str, name: str, prompt: str, error: str) -> str:
    doc = lecture_doc(title=title)
    doc["timeline"]["visual"][0]["name"] = name
    doc["visuals"][0]["prompt"] = prompt
    store = open_store(f"sqlite:///{data_dir / 'tui-editor.db'}")
    try:
        lecture_id = store.create_lecture(validate_lecture(doc))
        clip = store.resolve_clip(lecture_id, name)
        now = utcnow()
        with store.write() as conn:
            store.insert_run(
                conn,
                id=f"run_{abs(hash((title, name, error))) % 10**12:012d}",
                lecture_id=lecture_id,
                clip_id=clip.id,
                kind="visual",
                request={"asset_id": clip.asset_id, "fields": {}},
                status="failed",
                error=error,
                created_at=now,
                updated_at=now,
                base_revision=1,
                owner=None,
            )
    finally:
        store.close()
    return lecture_id


@FEW
@given(title=STORABLE, name=STORABLE, prompt=STORABLE, error=STORABLE)
def test_human_output_is_escaped_and_json_is_exact(
    capsys: pytest.CaptureFixture[str],
    tmp_path_factory: pytest.TempPathFactory,
    title: str,
    name: str,
    prompt: str,
    error: str,
) -> None:
    data_dir = tmp_path_factory.mktemp("hostile")
    lecture_id = _seed(data_dir, title, name, prompt, error)
    for args in (["lectures"], ["show", lecture_id], ["runs"], ["revisions", lecture_id]):
        code, out, err = _run(capsys, data_dir, *args)
        assert code == 0, err
        assert_terminal_safe(out)
        assert_terminal_safe(err)
    code, out, _ = _run(capsys, data_dir, "show", lecture_id, "--json")
    shown: dict[str, Any] = json.loads(out)
    assert_terminal_safe(out)
    assert shown["title"] == title
    assert shown["timeline"]["visual"][0]["name"] == name
    assert shown["visuals"][0]["prompt"] == prompt
    code, out, _ = _run(capsys, data_dir, "runs", "--json")
    assert json.loads(out)[0]["error"] == error
    code, out, _ = _run(capsys, data_dir, "export", lecture_id)
    assert json.loads(out)["title"] == title
    # error lines quoting a name: one line, escaped
    for args in (["show", f"no such {name}"], ["regenerate", lecture_id, name + "x"], ["accept", name]):
        code, out, err = _run(capsys, data_dir, *args)
        assert code in (1, 2)
        assert err.count("\n") == 1 and err.startswith("tui-editor: ")
        assert_terminal_safe(err)


@pytest.mark.parametrize(
    "title",
    [
        "OSC 52 \x1b]52;c;SGVsbG8=\x07 clipboard",
        "title \x1b]0;pwned\x07",
        "clear \x1b[2J\x1b[H",
        "C1 \x9b2J",
        "bidi \u202eexe.txt",
        "[@click=app.quit]x",
        "two\nlines",
    ],
)
def test_issue_examples_in_titles(capsys: pytest.CaptureFixture[str], tmp_path: Path, title: str) -> None:
    lecture_id = _seed(tmp_path, title, "clip", "prompt", "provider said \x1b[31mno\x1b[0m")
    code, out, _ = _run(capsys, tmp_path, "lectures")
    assert code == 0
    assert_terminal_safe(out)
    code, out, err = _run(capsys, tmp_path, "show", title + "?")
    assert code == 1 and err.count("\n") == 1
    assert_terminal_safe(err)
    code, out, _ = _run(capsys, tmp_path, "export", lecture_id)
    assert json.loads(out)["title"] == title


@given(st.text(max_size=20))
def test_json_text_is_exact_and_printable(text: str) -> None:
    from tui_editor.core.safe_text import json_text

    out = json_text({"x": text})
    assert json.loads(out)["x"] == text
    assert all(c.isprintable() or c == "\n" for c in out)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["visuals"][0].pop("prompt"), id="missing-field"),
        pytest.param(lambda d: d["visuals"][0].pop("aspect_ratio"), id="missing-optional-field-imports"),
        pytest.param(lambda d: d["visuals"][0].update(updated_at="0001-01-01T00:00:00+05:00"), id="year-1"),
        pytest.param(lambda d: d.update(title="\ud800"), id="lone-surrogate"),
        pytest.param(lambda d: d["timeline"]["visual"][0].update(start=10**400), id="400-digits"),
        pytest.param(lambda d: d["visuals"][0].update(file="../../etc/passwd"), id="traversal"),
        pytest.param(lambda d: d["visuals"][0].update(file="/etc/passwd"), id="absolute"),
    ],
)
def test_import_of_issue_examples_is_exit_2_and_one_line_or_imports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mutate: Any
) -> None:
    doc = lecture_doc()
    mutate(doc)
    path = tmp_path / "in.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, out, err = _run(capsys, tmp_path / "data", "import", str(path))
    if code == 0:  # imports: then it exports and re-imports
        lecture_id = out.split(" as ")[1].split()[0]
        code, out, _ = _run(capsys, tmp_path / "data", "export", lecture_id)
        again = tmp_path / "again.json"
        again.write_text(out, encoding="utf-8")
        code, _, err = _run(capsys, tmp_path / "data", "import", str(again))
        assert code == 0, err
        return
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("tui-editor: ") and "unexpected" not in err
    assert_terminal_safe(err)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_import_documents_are_exit_0_or_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("fuzz-import")
    doc = data.draw(mutated_document(lecture_doc()))
    path = folder / "in.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    code, _out, err = _run(capsys, folder / "data", "import", str(path))
    assert code in (0, 2), err
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("tui-editor: ") and "unexpected" not in err
        assert_terminal_safe(err)
