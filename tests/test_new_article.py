"""``kg new-article``: a new article's folder with its text and a draft mapping that builds as it is."""

from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import ROOT, reference_golden

from kg.build import build
from kg.project import Project

TEXT = ROOT / "data" / "2025-08-17-witkoff-security-guarantees" / "article.txt"


def project_without_articles(tmp_path) -> Project:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "ontology", root / "ontology")
    (root / "data").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "registry.yaml", root / "data" / "registry.yaml")
    return Project.at(root)


def kg(project: Project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kg", "--project", str(project.root), *args],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_the_draft_copies_the_text_and_builds_as_it_is(tmp_path):
    project = project_without_articles(tmp_path)
    result = kg(project, "new-article", "2025-08-17-draft", "--text", str(TEXT), "--date", "2025-08-17")
    assert result.returncode == 0, result.stderr
    folder = project.root / "data" / "2025-08-17-draft"
    assert (folder / "article.txt").read_bytes() == TEXT.read_bytes()
    draft = (folder / "mapping.yaml").read_text(encoding="utf-8")
    assert draft.splitlines()[3] == "# yaml-language-server: $schema=../schema/mapping.schema.json"
    assert (
        "  keir-starmer:  # review: 14 mention(s): Keir Starmer, Sir Keir, Starmer\n    mention: Keir Starmer\n"
        in draft
    )
    assert "  #   date: Friday night  # 2025-08-15, the nearest Friday to the anchor's day\n" in draft
    assert (
        result.stdout.splitlines()[0]
        == "kg: wrote data/2025-08-17-draft/mapping.yaml: a draft to review (every line marked 'review')"
    )
    report = build(project)
    assert report.manifest.articles == ["2025-08-17-draft"]


def test_it_never_overwrites_and_refuses_bad_input(tmp_path):
    project = project_without_articles(tmp_path)
    assert kg(project, "new-article", "2025-08-17-a", "--text", str(TEXT), "--date", "2025-08-17").returncode == 0
    again = kg(project, "new-article", "2025-08-17-a", "--text", str(TEXT), "--date", "2025-08-17")
    assert (again.returncode, again.stderr) == (
        2, "kg: error: data/2025-08-17-a exists: kg new-article never overwrites; choose another folder\n"
    )  # fmt: skip
    bad_date = kg(project, "new-article", "2025-08-17-b", "--text", str(TEXT), "--date", "17/08/2025")
    assert (bad_date.returncode, bad_date.stderr) == (2, "kg: error: --date must be YYYY-MM-DD, not '17/08/2025'\n")
    bad_name = kg(project, "new-article", "Big News", "--text", str(TEXT), "--date", "2025-08-17")
    assert (
        bad_name.stderr
        == "kg: error: the folder name must be a lowercase slug (letters, digits, '-'), not 'Big News'\n"
    )
    missing = kg(project, "new-article", "2025-08-17-c", "--text", str(tmp_path / "none.txt"), "--date", "2025-08-17")
    assert missing.returncode == 2 and missing.stderr.startswith("kg: error: cannot read the text ")
    assert not (project.root / "data" / "2025-08-17-c").exists()


def test_the_draft_of_the_reference_article_finds_what_its_golden_figures_say():
    """Measured with the article's mapping set aside (bench/draft_recall.py): the README's figure."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("draft_recall", ROOT / "bench" / "draft_recall.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["draft_recall"] = module
    spec.loader.exec_module(module)
    recall = module.measure()
    golden = reference_golden()["draft"]
    assert [list(recall.entities), list(recall.registry_entities), list(recall.dates), list(recall.claims)] == [
        golden["entities"], golden["registry entities"], golden["dates"], golden["claims"]
    ]  # fmt: skip


def test_a_folder_it_cannot_make_is_one_line_and_leaves_nothing(tmp_path):
    project = project_without_articles(tmp_path)
    (project.root / "data" / "2025-08-17-d").symlink_to(tmp_path / "nowhere")  # a dangling link: not "exists"
    result = kg(project, "new-article", "2025-08-17-d", "--text", str(TEXT), "--date", "2025-08-17")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "kg: error: cannot write data/2025-08-17-d: File exists\n"
    assert sorted(p.name for p in (project.root / "data").iterdir()) == ["2025-08-17-d", "registry.yaml"]
    assert not (tmp_path / "nowhere").exists()
