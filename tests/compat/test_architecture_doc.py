"""docs/architecture.md names every module and package under src/mamori.

The rule: each module's path relative to `src/mamori` (`services/users/accounts.py`) appears in
the doc in backticks, and so does each package's (`services/users/`, with its job in a line).
`__init__.py` files and Alembic's revisions (`migrations/versions/`) are not named one by one.
"""

from __future__ import annotations

from pathlib import Path

import mamori

SOURCE = Path(mamori.__file__).parent
DOC = Path(__file__).parents[2] / "docs" / "architecture.md"


def _skipped(path: Path) -> bool:
    relative = f"/{path.relative_to(SOURCE).as_posix()}"
    return "/__pycache__/" in relative or "/migrations/versions/" in relative


def modules() -> list[str]:
    return sorted(
        p.relative_to(SOURCE).as_posix()
        for p in SOURCE.rglob("*.py")
        if p.name != "__init__.py" and not _skipped(p)
    )


def packages() -> list[str]:
    return sorted(
        f"{p.parent.relative_to(SOURCE).as_posix()}/"
        for p in SOURCE.rglob("__init__.py")
        if p.parent != SOURCE and not _skipped(p)
    )


def test_the_source_tree_is_found() -> None:
    assert "wiring.py" in modules()
    assert "services/users/" in packages()
    assert not any("/versions/" in m for m in modules())


def test_every_module_is_named_in_the_architecture_doc() -> None:
    text = DOC.read_text()
    missing = [m for m in modules() if f"`{m}`" not in text]
    assert not missing, f"docs/architecture.md does not name: {', '.join(missing)}"


def test_every_package_is_named_in_the_architecture_doc() -> None:
    text = DOC.read_text()
    missing = [p for p in packages() if f"`{p}`" not in text]
    assert not missing, f"docs/architecture.md does not name the packages: {', '.join(missing)}"
