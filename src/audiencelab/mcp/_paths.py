"""Files are written only inside the export folder (``--export-dir``).

A model chooses the file name, so the name is treated as untrusted: ``..`` is refused, an absolute
path must lie inside the folder, and the path is resolved (following every symlink that already
exists) before it is compared, so that a link inside the folder cannot lead outside it. Each
refusal is an :class:`~audiencelab.InputValidationError` naming the reason; nothing is written.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from audiencelab import InputProblem, InputValidationError

__all__ = ["export_path"]


def _refuse(message: str, field: str) -> InputValidationError:
    return InputValidationError([InputProblem(field, message)])


def export_path(export_dir: Path, path: str, field: str = "path") -> Path:
    """The file ``path`` (relative to ``export_dir``, or absolute inside it), resolved.

    Missing folders between the export folder and the file are created.
    """
    folder = export_dir.resolve()
    text = path.strip() if isinstance(path, str) else ""
    if not text:
        raise _refuse("a file name is required, e.g. 'people.csv'", field)
    if "\x00" in text:
        raise _refuse("the path contains a NUL character", field)
    if text.startswith("~"):
        raise _refuse(
            f"{path!r} starts with '~'; give a path relative to the export folder {str(folder)!r}, "
            "e.g. 'people.csv'",
            field,
        )
    given = PurePath(text)
    if ".." in given.parts:
        raise _refuse(
            f"{path!r} contains '..': files can only be written inside the export folder "
            f"{str(folder)!r}; give a path relative to it, e.g. 'people.csv'",
            field,
        )
    candidate = Path(text) if given.is_absolute() else folder / given
    resolved = candidate.resolve()  # follows symlinks, including one at the file itself
    if resolved == folder or not resolved.is_relative_to(folder):
        if given.is_absolute() and not candidate.is_relative_to(folder):
            reason = "is outside the export folder"
        elif resolved == folder:
            reason = "is the export folder itself, not a file"
        else:
            reason = "leads outside the export folder through a symbolic link"
        raise _refuse(
            f"{path!r} {reason} {str(folder)!r}: files can only be written inside it; give a "
            "path relative to it, e.g. 'people.csv'",
            field,
        )
    if resolved.exists() and resolved.is_dir():
        raise _refuse(f"{path!r} is a folder; give a file name, e.g. 'people.csv'", field)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved
