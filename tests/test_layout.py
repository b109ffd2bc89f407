"""The layout holds: imports run one way, no import circle, a fixed repository root.

The checker reads the source with `ast` and follows every import of the project's own
modules, module-level and function-local alike:

    config → models → domain → tasks → portal/, backoffice/ → run

A module imports only modules of its own layer or an earlier one; backoffice/ never imports
portal/; a domain module never imports a view (portal/, backoffice/, tasks, run); models
imports no domain module; a project module imports no project module inside a function.
The last tests run the checker over small synthetic trees, so it is proven to catch each
breakage and cannot pass vacuously.
"""
import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top-level module or package -> its layer; a module may import its own layer or earlier.
LAYERS = {"config": 0, "models": 1, "domain": 2, "tasks": 3, "portal": 4, "backoffice": 4,
          "run": 5}
VIEWS = {"portal", "backoffice", "tasks", "run"}
ROOT_ENTRIES = {"portal", "backoffice", "domain", "models.py", "tasks.py", "config.py", "run.py",
                "templates", "tests", "static", "bench", "requirements.txt",
                "requirements-dev.txt", "README.md", "Makefile", "pytest.ini", ".ci", ".gitignore",
                "deploy"}


def project_modules(root: Path) -> dict[str, Path]:
    """Dotted name -> file of every module of the layered code (tests and bench are not)."""
    modules = {}
    for top in LAYERS:
        single = root / f"{top}.py"
        if single.is_file():
            modules[top] = single
        for path in sorted((root / top).rglob("*.py")) if (root / top).is_dir() else ():
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _absolute(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    """The absolute module an ImportFrom names (resolving `from . import x`)."""
    if not node.level:
        return node.module or ""
    package = name.split(".") if is_package else name.split(".")[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _in_function(tree: ast.AST) -> set[int]:
    """ids of the import nodes that sit inside a function body."""
    inner = set()
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner.update(id(n) for n in ast.walk(func)
                         if isinstance(n, (ast.Import, ast.ImportFrom)))
    return inner


def imports_of(name: str, path: Path, modules: dict) -> dict[str, bool]:
    """Project modules `name` imports -> True when one such import sits inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    local = _in_function(tree)
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, name, path.name == "__init__.py")
            targets = [base] + [f"{base}.{alias.name}".lstrip(".") for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # the longest project module named
                target = target.rpartition(".")[0]
            if target and target != name:
                found[target] = found.get(target, False) or id(node) in local
    return found


def import_graph(root: Path) -> dict[str, dict[str, bool]]:
    """module -> {imported module: imported inside a function}; a package's __init__
    importing its own submodules is left out (that is how a package shows its parts)."""
    modules = project_modules(root)
    graph = {}
    for name, path in modules.items():
        edges = imports_of(name, path, modules)
        if path.name == "__init__.py":
            edges = {t: f for t, f in edges.items() if not t.startswith(name + ".")}
        graph[name] = edges
    return graph


def circles(graph: dict) -> list[list[str]]:
    """Every group of modules that import each other round (Tarjan's components)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        """Number `node`, walk its imports, pop its component when it is the root."""
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _edges(graph):
    """Every (importer, imported) pair, in a stable order."""
    return [(m, t) for m, targets in sorted(graph.items()) for t in sorted(targets)]


def _top(module: str) -> str:
    """The top-level module or package, which names the layer."""
    return module.split(".")[0]


def wrong_way(graph) -> list[str]:
    """Imports of a later layer."""
    return [f"{m} -> {t}" for m, t in _edges(graph) if LAYERS[_top(t)] > LAYERS[_top(m)]]


def backoffice_into_portal(graph) -> list[str]:
    """The back office borrowing from the applicant's side."""
    return [f"{m} -> {t}" for m, t in _edges(graph)
            if _top(m) == "backoffice" and _top(t) == "portal"]


def domain_into_views(graph) -> list[str]:
    """Domain modules importing portal/, backoffice/, tasks or run."""
    return [f"{m} -> {t}" for m, t in _edges(graph) if _top(m) == "domain" and _top(t) in VIEWS]


def models_into_domain(graph) -> list[str]:
    """models.py importing a domain module."""
    return [f"{m} -> {t}" for m, t in _edges(graph) if m == "models" and _top(t) == "domain"]


def function_local(graph) -> list[str]:
    """Project imports hidden in a function body."""
    return [f"{m} -> {t}" for m, t in _edges(graph) if graph[m][t]]


def loose_root_entries(root: Path) -> list[str]:
    """Entries at the repository root beyond the fixed ones (what git tracks or would add)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=root, capture_output=True, text=True, check=True).stdout
    return sorted({line.split("/")[0] for line in listed.splitlines()} - ROOT_ENTRIES)


RULES = {"import circle": circles, "import of a later layer": wrong_way,
         "backoffice imports portal": backoffice_into_portal,
         "domain imports a view": domain_into_views,
         "models imports the domain": models_into_domain,
         "function-local import of a project module": function_local}


def broken_rules(graph) -> dict[str, list]:
    """Rule -> what breaks it, for every rule something breaks."""
    return {rule: found for rule, check in RULES.items() if (found := check(graph))}


# ---- the project ----------------------------------------------------------------------

def test_the_project_imports_run_one_way_without_circles():
    graph = import_graph(ROOT)
    # The walk really sees the project: every layer, and imports across them.
    assert {_top(m) for m in graph} == set(LAYERS)
    assert "domain.appeals.casework" in graph and "models" in graph["domain.appeals.casework"]
    assert any(_top(t) == "portal" for t in graph["run"])
    assert broken_rules(graph) == {}


def test_the_repository_root_holds_only_the_fixed_entries():
    assert loose_root_entries(ROOT) == []


# ---- the checker catches each breakage ---------------------------------------------------

CLEAN_TREE = {
    "config.py": "",
    "models.py": "import config\n",
    "domain/__init__.py": "from domain import rules\n",
    "domain/rules.py": "from models import db\n",
    "domain/appeals/__init__.py": "",
    "domain/appeals/filing.py": "from ..rules import check\nfrom domain import rules\n",
    "tasks.py": "from domain.appeals import filing\n",
    "portal/__init__.py": "from . import views\n",
    "portal/views.py": "import tasks\nfrom domain.rules import check\n",
    "backoffice/__init__.py": "from backoffice.pages import page\n",
    "backoffice/pages.py": "from domain.appeals.filing import send\n",
    "run.py": "from portal import views\nimport backoffice\n",
}

BREAKAGES = {
    "circle through a function-local import": (
        {"domain/rules.py": "from models import db\n\n"
                            "def f():\n    import domain.appeals.filing\n"},
        {"import circle": [["domain.appeals.filing", "domain.rules"]],
         "function-local import of a project module": ["domain.rules -> domain.appeals.filing"]}),
    "circle between two views": (
        {"portal/views.py": "import tasks\nimport run\n"},
        {"import circle": [["portal.views", "run"]],
         "import of a later layer": ["portal.views -> run"]}),
    "models reaching into the domain": (
        {"models.py": "import config\nfrom domain.rules import check\n"},
        {"import circle": [["domain.rules", "models"]],
         "import of a later layer": ["models -> domain.rules"],
         "models imports the domain": ["models -> domain.rules"]}),
    "domain reaching into a view": (
        {"domain/appeals/filing.py": "from portal.views import page\n"},
        {"import of a later layer": ["domain.appeals.filing -> portal.views"],
         "domain imports a view": ["domain.appeals.filing -> portal.views"],
         "import circle": [["domain.appeals.filing", "portal.views", "tasks"]]}),
    "domain handing work to the queue": (
        {"domain/rules.py": "from models import db\nfrom tasks import deliver\n"},
        {"import of a later layer": ["domain.rules -> tasks"],
         "domain imports a view": ["domain.rules -> tasks"],
         "import circle": [["domain.appeals.filing", "domain.rules", "tasks"]]}),
    "backoffice borrowing from portal": (
        {"backoffice/pages.py": "from portal.views import page\n"},
        {"backoffice imports portal": ["backoffice.pages -> portal.views"]}),
    "relative import into a later layer": (
        {"domain/appeals/filing.py": "from ... import tasks\n"},
        {"import of a later layer": ["domain.appeals.filing -> tasks"],
         "domain imports a view": ["domain.appeals.filing -> tasks"],
         "import circle": [["domain.appeals.filing", "tasks"]]}),
}


def make_tree(root: Path, files: dict):
    """Write `files` (relative path -> text) under `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_tree_that_keeps_the_rules_passes(tmp_path):
    make_tree(tmp_path, CLEAN_TREE)
    graph = import_graph(tmp_path)
    assert graph["domain.appeals.filing"] == {"domain.rules": False, "domain": False}
    assert broken_rules(graph) == {}


@pytest.mark.parametrize("change", BREAKAGES)
def test_each_breakage_is_found(tmp_path, change):
    edits, expected = BREAKAGES[change]
    make_tree(tmp_path, {**CLEAN_TREE, **edits})
    assert broken_rules(import_graph(tmp_path)) == expected


def test_a_loose_module_at_the_root_is_found(tmp_path):
    make_tree(tmp_path, {**CLEAN_TREE, "README.md": "", "helpers.py": "", "notes/todo.txt": "",
                         "instance/portal.sqlite3": "", ".gitignore": "instance/\n"})
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run(["git", "add", "README.md", "domain"], cwd=tmp_path, check=True)
    assert loose_root_entries(tmp_path) == ["helpers.py", "notes"]
