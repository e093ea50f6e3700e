"""Documentation that code and configs cite ships with the repository.

Comments and docstrings used to cite private notes that a clone does not
have; they now cite ``docs/...`` pages (or a paper's arXiv id). These tests
keep it that way: no file in the shipped code names the private notes, every
``docs/...md`` path cited there exists, every section it names (``docs/x.md,
"Section"``) is a heading of that page, and the relative links between the
pages under ``docs/`` resolve.
"""
import glob
import os.path as osp
import re

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
THIS_FILE = osp.abspath(__file__)

# Notes that never shipped with the repository.
PRIVATE_NOTES = ('csdnet-method.md', 'synthpairs-method.md', 'stack-notes.md',
                 'data-and-weights.md', 'shared/docs')
CODE_DIRS = ('csdnet_mm', 'configs', 'tools', 'tests')
CODE_EXTS = ('.py', '.sh', '.yml', '.yaml', '.txt', '.cfg', '.toml')


def _code_files():
    files = [osp.join(ROOT, 'setup.py')]
    for folder in CODE_DIRS:
        for path in glob.glob(osp.join(ROOT, folder, '**', '*'),
                              recursive=True):
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


def test_code_does_not_cite_private_notes():
    found = []
    for path in _code_files():
        for number, line in enumerate(_read(path).splitlines(), 1):
            if any(note in line for note in PRIVATE_NOTES):
                found.append(f'{_rel(path)}:{number}: {line.strip()}')
    assert not found, ('these lines cite notes that do not ship with the '
                       'repository; cite docs/... instead:\n' +
                       '\n'.join(found))


def test_cited_docs_exist():
    cited = {}
    for path in _code_files():
        for doc in DOC_PATH.findall(_joined(_read(path))):
            cited.setdefault(doc, _rel(path))
    assert cited, 'expected code to cite docs/... pages'
    missing = {doc: where for doc, where in cited.items()
               if not osp.isfile(osp.join(ROOT, doc))}
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
    'page', sorted(_rel(p) for p in glob.glob(
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


def test_private_note_check_sees_a_citation():
    """The pattern catches the kinds of citation that used to be there."""
    for line in ('# Bounds are verified in shared/docs/stack-notes.md §1.',
                 '    (synthpairs-method.md §8). Each class'):
        assert any(note in line for note in PRIVATE_NOTES)
    text = _joined('# see docs/methods/synthpairs.md, "Stage 1:\n'
                   '# decoder pre-training").')
    assert DOC_SECTION.findall(text) == [
        ('docs/methods/synthpairs.md', 'Stage 1: decoder pre-training')]
