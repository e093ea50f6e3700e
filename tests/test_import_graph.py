"""The package's modules import each other without a cycle."""
import ast
import os
import os.path as osp

import csdnet_mm

PACKAGE = osp.dirname(csdnet_mm.__file__)


def _module(path: str) -> str:
    rel = osp.relpath(path, osp.dirname(PACKAGE))[:-len('.py')]
    parts = rel.split(os.sep)
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def _imports(path: str, module: str) -> set:
    """Modules of the package that ``module`` imports (at any depth of its
    code, type-checking blocks included)."""
    is_package = path.endswith('__init__.py')
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = module if is_package else module.rsplit('.', 1)[0]
            for _ in range(node.level - 1):
                base = base.rsplit('.', 1)[0]
            prefix = (f'{base}.{node.module}'
                      if node.module else base) if node.level else node.module
            names = [prefix] + [f'{prefix}.{a.name}' for a in node.names]
        else:
            continue
        found |= {n for n in names if n and n.startswith('csdnet_mm')}
    return found


def _graph() -> dict:
    modules = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                modules[_module(path)] = path
    return {
        m: {i
            for i in _imports(p, m) if i in modules and i != m}
        for m, p in modules.items()
    }


def _cycle(graph: dict):
    state = {}

    def visit(node, stack):
        state[node] = 'open'
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 'open':
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, stack + [nxt])
                if found:
                    return found
        state[node] = 'done'
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_no_import_cycle_between_the_package_modules():
    # A package's __init__ importing its own submodules is not a cycle
    # unless a submodule imports the package back.
    graph = {
        m: {i
            for i in deps if not m.startswith(i + '.')}
        for m, deps in _graph().items()
    }
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert _cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']
    assert _cycle({'a': {'b'}, 'b': set()}) is None
