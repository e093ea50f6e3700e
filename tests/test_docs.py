"""Documentation that code and configs cite ships with the repository.

Comments and docstrings cite pages under ``docs/`` (or a paper's arXiv id).
These tests keep it that way: every Markdown file the shipped code names is
one the repository has (or a report a tool writes), every ``docs/...md``
path cited there exists, every section it names (``docs/x.md, "Section"``)
is a heading of that page, and the relative links between the pages under
``docs/`` resolve. The README's test commands are the ones ``.ci/run``
runs.
"""
import glob
import os
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
THIS_FILE = osp.abspath(__file__)

# Reports the tools write (into a work directory), not pages of the
# repository.
WRITTEN_REPORTS = ('results.md', 'summary.md', 'check.md')
CODE_DIRS = ('csdnet_mm', 'configs', 'tools', 'tests')
CODE_EXTS = ('.py', '.sh', '.yml', '.yaml', '.txt', '.cfg', '.toml')


def _code_files():
    files = [osp.join(ROOT, 'setup.py')]
    for folder in CODE_DIRS:
        for path in glob.glob(
                osp.join(ROOT, folder, '**', '*'), recursive=True):
            if path.endswith(CODE_EXTS) and osp.isfile(path):
                files.append(path)
    return sorted(p for p in files if osp.abspath(p) != THIS_FILE)


def _rel(path):
    return osp.relpath(path, ROOT)


def _read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def _joined(text):
    """Text with comment line breaks removed, so a citation that wraps over
    two comment or docstring lines reads as one."""
    return re.sub(r'[ \t]*\n[ \t]*(#[ \t]*)?', ' ', text)


def _headings(md_path):
    return [
        line.lstrip('#').strip() for line in _read(md_path).splitlines()
        if re.match(r'#{1,6} ', line)
    ]


def _slug(heading):
    """GitHub's anchor of a heading."""
    slug = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return slug.replace(' ', '-')


DOC_PATH = re.compile(r'docs/[\w./-]+?\.md')
DOC_SECTION = re.compile(r'(docs/[\w./-]+?\.md),\s*"([^"]+)"')

MARKDOWN_NAME = re.compile(r'[\w./-]*\.md\b')
URL = re.compile(r'[a-z]+://\S+')


def _shipped_markdown():
    """The repository's ``*.md`` files (not what runs left in ``data/``,
    ``work_dirs/`` or ``checkpoints/``)."""
    found = set()
    for folder, dirs, files in os.walk(ROOT):
        if folder == ROOT:
            dirs[:] = [
                d for d in dirs
                if d not in ('data', 'work_dirs',
                             'checkpoints') and not d.startswith('.')
            ]
        found |= {
            osp.relpath(osp.join(folder, f), ROOT)
            for f in files if f.endswith('.md')
        }
    return found


def _unknown_markdown(text, folder, shipped):
    """The ``*.md`` names in ``text`` (outside URLs) that are neither a
    file of the repository (from its root or from ``folder``), nor the
    name of one, nor a report a tool writes."""
    names = {osp.basename(p) for p in shipped}
    return [
        name for name in MARKDOWN_NAME.findall(URL.sub(' ', text))
        if not (osp.isfile(osp.join(ROOT, name)) or osp.isfile(
            osp.join(folder, name)) or osp.basename(name) in names
                or osp.basename(name) in WRITTEN_REPORTS)
    ]


def test_named_markdown_files_ship_with_the_repository():
    shipped = _shipped_markdown()
    found = []
    for path in _code_files():
        for number, line in enumerate(_read(path).splitlines(), 1):
            for name in _unknown_markdown(line, osp.dirname(path), shipped):
                found.append(f'{_rel(path)}:{number}: {name}')
    assert not found, ('these lines name Markdown files the repository '
                       'does not have; cite docs/... instead:\n' +
                       '\n'.join(found))


def test_written_reports_are_named_by_the_tools():
    sources = ''.join(
        _read(p) for p in _code_files()
        if _rel(p).startswith(('csdnet_mm', 'tools')))
    for name in WRITTEN_REPORTS:
        assert name in sources, name


def test_cited_docs_exist():
    cited = {}
    for path in _code_files():
        for doc in DOC_PATH.findall(_joined(_read(path))):
            cited.setdefault(doc, _rel(path))
    assert cited, 'expected code to cite docs/... pages'
    missing = {
        doc: where
        for doc, where in cited.items() if not osp.isfile(osp.join(ROOT, doc))
    }
    assert not missing, f'cited but missing (doc: first citing file): ' \
                        f'{missing}'


def test_cited_sections_exist():
    bad = []
    for path in _code_files():
        for doc, section in DOC_SECTION.findall(_joined(_read(path))):
            doc_file = osp.join(ROOT, doc)
            if not osp.isfile(doc_file):
                continue  # reported by test_cited_docs_exist
            if not any(h.startswith(section) for h in _headings(doc_file)):
                bad.append(f'{_rel(path)}: {doc}, "{section}"')
    assert not bad, 'sections not found among the headings:\n' + \
        '\n'.join(bad)


@pytest.mark.parametrize(
    'page',
    sorted(
        _rel(p) for p in glob.glob(
            osp.join(ROOT, 'docs', '**', '*.md'), recursive=True)))
def test_links_between_docs_resolve(page):
    page_file = osp.join(ROOT, page)
    for target in re.findall(r'\]\(([^)\s]+)\)', _read(page_file)):
        if re.match(r'[a-z]+://', target) or target.startswith('mailto:'):
            continue
        file_part, _, anchor = target.partition('#')
        linked = osp.normpath(osp.join(osp.dirname(page_file), file_part)) \
            if file_part else page_file
        assert osp.exists(linked), f'{page}: broken link {target}'
        if anchor and linked.endswith('.md'):
            anchors = {_slug(h) for h in _headings(linked)}
            assert anchor in anchors, f'{page}: no heading for #{anchor}'


def test_markdown_check_sees_a_missing_page():
    """The check flags a page the repository lacks, wherever it is
    written, and passes the repository's own pages."""
    shipped = _shipped_markdown()
    for line in ('# Bounds are verified in elsewhere/docs/versions.md §1.',
                 '    (method-draft.md §8). Each class'):
        assert _unknown_markdown(line, ROOT, shipped), line
    for line in ('# docs/methods/synthpairs.md, "Diagnostics"',
                 '# configs/csdnet/README.md; writes results.md',
                 '# https://example.org/elsewhere.md'):
        assert _unknown_markdown(line, ROOT, shipped) == [], line
    text = _joined('# see docs/methods/synthpairs.md, "Stage 1:\n'
                   '# decoder pre-training").')
    assert DOC_SECTION.findall(text) == [('docs/methods/synthpairs.md',
                                          'Stage 1: decoder pre-training')]


def _test_commands(text):
    """The lines that install for the tests or run pytest, in order."""
    return [
        line.strip() for line in text.splitlines()
        if re.match(r'python -m (pytest|pip install -e "\.\[tests\]")', line)
    ]


def test_ci_runs_the_readme_test_commands():
    readme = _test_commands(_read(osp.join(ROOT, 'README.md')))
    assert readme == [
        'python -m pip install -e ".[tests]" && '
        'python -m pytest tests -q -m "not slow"',
        'python -m pytest tests -q',
    ]
    assert _test_commands(_read(osp.join(ROOT, '.ci', 'run'))) == readme
