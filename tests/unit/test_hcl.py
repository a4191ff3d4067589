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
