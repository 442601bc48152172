"""Files are written only inside the export folder (``--export-dir``).

A model chooses the file name, so the name is treated as untrusted: ``..`` is refused, an absolute
path must lie inside the folder, and the path is resolved (following every symlink that already
exists) before it is compared, so that a link inside the folder cannot lead outside it. The files
the SDK writes beside the target while it works (``<name>.part``, its checkpoint
``<name>.part.json``, their ``.tmp``) are held to the same rule, and more strictly: one that exists
as a symbolic link, or as anything but a regular file, is refused, since the SDK opens them by
name. A name too long for the file system (with those suffixes) is refused too. Each refusal is an
:class:`~audiencelab.InputValidationError` naming the argument and the reason; nothing is written.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from audiencelab import InputProblem, InputValidationError

__all__ = ["DOWNLOAD_SIBLINGS", "EXPORT_SIBLINGS", "export_path"]

#: What the SDK writes beside a target: an export (pages, checkpoint, their temporary files)...
EXPORT_SIBLINGS = (".part", ".part.json", ".part.json.tmp", ".tmp")
#: ... and a download.
DOWNLOAD_SIBLINGS = (".part",)
#: The longest file name most file systems take (bytes), and the longest path.
_NAME_MAX = 255
_PATH_MAX = 4000


def _refuse(message: str, field: str) -> InputValidationError:
    return InputValidationError([InputProblem(field, message)])


def _check_lengths(text: str, longest_suffix: int, field: str) -> None:
    if len(text.encode("utf-8", "surrogatepass")) > _PATH_MAX:
        raise _refuse(f"the path is too long ({len(text):,} characters); give a short one", field)
    for part in PurePath(text).parts:
        size = len(part.encode("utf-8", "surrogatepass")) + longest_suffix
        if size > _NAME_MAX:
            shown = part if len(part) <= 40 else f"{part[:30]}...({len(part):,} characters)"
            raise _refuse(
                f"the name {shown!r} is too long for a file name (at most "
                f"{_NAME_MAX - longest_suffix} bytes here); give a shorter one, e.g. 'people.csv'",
                field,
            )


def _check_siblings(target: Path, folder: Path, siblings: tuple[str, ...], field: str) -> None:
    """The SDK's working files beside ``target``: none a symlink or a non-file, all inside."""
    for suffix in siblings:
        sibling = target.with_name(target.name + suffix)
        if sibling.is_symlink() or (sibling.exists() and not sibling.is_file()):
            kind = "a symbolic link" if sibling.is_symlink() else "not a regular file"
            raise _refuse(
                f"{sibling.name!r}, which the export would write beside the file, is {kind}: "
                "refused, so that nothing is written outside the export folder; remove it or "
                "choose another name",
                field,
            )
        if not sibling.resolve().is_relative_to(folder):
            raise _refuse(f"{sibling.name!r} would be written outside the export folder", field)


def export_path(
    export_dir: Path, path: str, field: str = "path", siblings: tuple[str, ...] = EXPORT_SIBLINGS
) -> Path:
    """The file ``path`` (relative to ``export_dir``, or absolute inside it), resolved, with the
    working files the SDK writes beside it (``siblings``) checked as well.

    Missing folders between the export folder and the file are created.
    """
    folder = export_dir.resolve()
    text = path.strip() if isinstance(path, str) else ""
    if not text:
        raise _refuse("a file name is required, e.g. 'people.csv'", field)
    if "\x00" in text:
        raise _refuse("the path contains a NUL character", field)
    _check_lengths(text, max((len(s) for s in siblings), default=0), field)
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
    _check_siblings(resolved, folder, siblings, field)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved
