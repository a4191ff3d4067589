"""Parsing ``.tf`` files from several threads at once gives every thread, and every later parse, the right answer.

python-hcl2 serializes with state shared by all calls (see ``standby.terraform.hcl``); without the lock, threads
parsing at once leave expressions without their ``${...}`` for the rest of the process, and the drift check then
reads no ``ignore_changes`` in a module.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lark.exceptions import LarkError

from standby.drift.lifecycle import read_directory
from standby.terraform import hcl

MODULE = Path(__file__).resolve().parent / "drift" / "fixtures" / "module_stack" / "modules" / "autoscaling"
TEXT = (MODULE / "main.tf").read_text(encoding="utf-8")
THREADS, PARSES = 8, 25


def parse_in_threads() -> list[dict]:
    answers: list[dict] = []
    start = threading.Barrier(THREADS)

    def parse_many() -> None:
        start.wait()
        for _ in range(PARSES):
            answers.append(hcl.parse_hcl(TEXT))

    threads = [threading.Thread(target=parse_many) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_threads_parsing_at_once_all_get_the_answer_of_one_parse_alone() -> None:
    alone = hcl.parse_hcl(TEXT)
    answers = parse_in_threads()
    assert len(answers) == THREADS * PARSES
    assert all(answer == alone for answer in answers)
    # and the process is left as it was: expressions keep their ${...}, the module's ignore_changes are read
    assert hcl.parse_hcl("a = var.b\n")["a"] == "${var.b}"
    assert read_directory(MODULE)[("aws_autoscaling_group", "this")] == (
        ("desired_capacity",),
        ("target_group_arns",),
        ("load_balancers",),
    )


def test_the_file_reader_reads_utf8_whatever_the_locale(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_bytes('locals {\n  owner = "Zoë — platform"\n}\n'.encode())
    assert hcl.read_hcl_file(path)["locals"][0]["owner"] == '"Zoë — platform"'


def test_text_that_is_not_hcl_raises() -> None:
    with pytest.raises(LarkError):
        hcl.parse_hcl('resource "x" {\n')


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts python-hcl2 parses from here on (the reads the cache did not answer)."""
    texts: list[str] = []
    real = hcl.parse_hcl
    monkeypatch.setattr(hcl, "parse_hcl", lambda text: texts.append(text) or real(text))
    return texts


def test_a_file_is_parsed_once_while_its_text_stays_the_same(tmp_path: Path, parsed: list[str]) -> None:
    """STANDBY_HOME is the test's own (tests/conftest.py): the cache starts empty."""
    path = tmp_path / "variables.tf"
    path.write_text('variable "size" {\n  type = number\n}\n')
    first = hcl.read_hcl_file(path)
    assert hcl.read_hcl_file(tmp_path / "variables.tf") == first and len(parsed) == 1  # the second from the cache
    assert len(list(hcl.cache_directory().glob("*.json"))) == 1  # type: ignore[union-attr]
    path.write_text('variable "count" {\n  type = number\n}\n')
    assert set(hcl.read_hcl_file(path)["variable"][0]) == {'"count"'} and len(parsed) == 2  # new text: parsed


def test_without_a_usable_cache_every_read_parses(
    tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "main.tf"
    path.write_text("a = 1\n")
    monkeypatch.setenv(hcl.CACHE_SWITCH_ENV, "off")
    assert hcl.cache_directory() is None
    assert hcl.read_hcl_file(path) == hcl.read_hcl_file(path) == {"a": 1} and len(parsed) == 2
    monkeypatch.delenv(hcl.CACHE_SWITCH_ENV)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache's home would be")
    monkeypatch.setenv("STANDBY_HOME", str(blocked))  # cache/hcl cannot be made under a file
    assert hcl.read_hcl_file(path) == {"a": 1} and len(parsed) == 3
    monkeypatch.setenv("STANDBY_HOME", str(tmp_path / "home2"))
    entry = hcl._cache_entry(path.read_bytes())
    assert entry is not None
    entry.parent.mkdir(parents=True)
    entry.write_text("{cut short")  # an entry that cannot be read is parsed again, and rewritten
    assert hcl.read_hcl_file(path) == {"a": 1} and len(parsed) == 4
    assert hcl.read_hcl_file(path) == {"a": 1} and len(parsed) == 4
