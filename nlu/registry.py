"""Versioned model files: a small registry on disk.

Layout::

    <model_dir>/
        CURRENT                  the active version's name, one line
        <version>/model.skops    the fitted IntentClassifier (skops, never pickle)
        <version>/acts.skops     the dialogue-act model, an IntentClassifier too
                                 (optional: versions before it have none)
        <version>/meta.json      ModelMeta: intents, threshold, margin, data hash,
                                 metrics, library versions, sha256 of model.skops,
                                 ``acts`` (file, sha256, classes, metrics)

Loading never runs code from the file: skops rebuilds only the types skops
trusts by default plus :data:`TRUSTED_TYPES`, and the file must match the
SHA-256 recorded in its metadata. A model built by other scikit-learn or skops
versions is refused with :class:`IncompatibleModel` rather than risk silently
different predictions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nlu.errors import BadModelFile, IncompatibleModel, ModelNotFound

__all__ = [
    "ACTS_FILE",
    "CURRENT_FILE",
    "FORMAT",
    "META_FILE",
    "MODEL_FILE",
    "TRUSTED_TYPES",
    "ModelMeta",
    "current_version",
    "library_versions",
    "list_versions",
    "load",
    "load_acts",
    "new_version_id",
    "read_meta",
    "resolve",
    "save",
    "set_current",
]

FORMAT = 1
MODEL_FILE = "model.skops"
ACTS_FILE = "acts.skops"
META_FILE = "meta.json"
CURRENT_FILE = "CURRENT"

# Our own estimators and the calibration helpers skops does not trust by default.
TRUSTED_TYPES: tuple[str, ...] = (
    "nlu.classifier.IntentClassifier",
    "nlu.tokens.SpacyLemmatizer",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)
# Libraries whose version must match exactly for a model to load.
_PINNED = ("scikit-learn", "skops")
_VERSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class ModelMeta:
    """What a model file is, how it was built and how well it did."""

    version: str
    created_at: str
    classes: tuple[str, ...]
    intents: tuple[str, ...]
    threshold: float
    margin: float
    data_hash: str
    n_examples: int
    libraries: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""
    format: int = FORMAT
    # The dialogue-act model: {"file", "sha256", "classes", "metrics"}; empty when none.
    acts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelMeta:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in raw.items() if k in names}
        for key in ("classes", "intents"):
            values[key] = tuple(values.get(key, ()))
        return cls(**values)


def library_versions() -> dict[str, str]:
    """Versions of everything a model's behaviour depends on."""
    from importlib.metadata import version

    libs = {"python": platform.python_version()}
    for name in ("scikit-learn", "skops", "spacy", "spacy-lookups-data", "numpy", "scipy"):
        try:
            libs[name] = version(name)
        except Exception:
            libs[name] = "unknown"
    return libs


def new_version_id(data_hash: str, now: datetime | None = None) -> str:
    """A sortable, unique-enough version name: UTC time plus the data hash prefix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%d-%H%M%S}-{data_hash[:8]}"


def save(
    model: Any,
    meta: ModelMeta,
    model_dir: Path,
    *,
    make_current: bool = True,
    acts: Any | None = None,
) -> Path:
    """Write ``model`` and ``meta`` as a new version under ``model_dir``; return its directory.

    ``acts`` (the dialogue-act model) goes to ``acts.skops`` beside it. The
    version directory is written under a temporary name and renamed, so a
    reader never sees half a model.
    """
    import skops.io as sio

    if not _VERSION_ID.match(meta.version):
        raise ValueError(f"bad version id {meta.version!r}")
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    target = model_dir / meta.version
    if target.exists():
        raise FileExistsError(f"model version {meta.version} already exists in {model_dir}")
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=model_dir))
    try:
        blob = sio.dumps(model)
        (staging / MODEL_FILE).write_bytes(blob)
        meta = dataclasses.replace(meta, sha256=hashlib.sha256(blob).hexdigest())
        if acts is not None:
            acts_blob = sio.dumps(acts)
            (staging / ACTS_FILE).write_bytes(acts_blob)
            meta = dataclasses.replace(
                meta,
                acts={
                    **meta.acts,
                    "file": ACTS_FILE,
                    "sha256": hashlib.sha256(acts_blob).hexdigest(),
                    "classes": [str(c) for c in acts.classes_],
                },
            )
        (staging / META_FILE).write_text(meta.to_json(), encoding="utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if make_current:
        set_current(model_dir, meta.version)
    return target


def set_current(model_dir: Path, version: str) -> None:
    """Make ``version`` the active one (atomic replace of CURRENT)."""
    model_dir = Path(model_dir)
    if not (model_dir / version / META_FILE).is_file():
        raise ModelNotFound(f"no model version {version!r} in {model_dir}")
    tmp = model_dir / f".{CURRENT_FILE}.{os.getpid()}.tmp"  # two trainers never share it
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, model_dir / CURRENT_FILE)


def current_version(model_dir: Path) -> str | None:
    """The active version's name, or None when nothing is installed."""
    try:
        name = (Path(model_dir) / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return name or None


def list_versions(model_dir: Path) -> list[str]:
    """All version names in ``model_dir``, oldest first."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in model_dir.iterdir()
        if (p / META_FILE).is_file() and _VERSION_ID.match(p.name)
    )


def resolve(path: Path) -> Path:
    """The version directory for a registry (follows CURRENT) or a version directory.

    Raises:
        ModelNotFound: nothing installed there.
    """
    path = Path(path)
    if (path / META_FILE).is_file():
        return path
    version = current_version(path)
    if version is None:
        raise ModelNotFound(f"no model installed in {path}: run `chatbot train`")
    if not _VERSION_ID.match(version) or not (path / version / META_FILE).is_file():
        raise ModelNotFound(f"{path / CURRENT_FILE} names version {version!r}, which is missing")
    return path / version


def read_meta(version_dir: Path) -> ModelMeta:
    """Read and check a version's metadata.

    Raises:
        BadModelFile: the metadata is unreadable.
        IncompatibleModel: another format, or other scikit-learn/skops versions.
    """
    file = Path(version_dir) / META_FILE
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        meta = ModelMeta.from_dict(raw)
    except FileNotFoundError as exc:
        raise ModelNotFound(f"no {META_FILE} in {version_dir}") from exc
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
        raise BadModelFile(f"{file}: unreadable model metadata ({exc})") from exc
    if meta.format != FORMAT:
        raise IncompatibleModel(
            f"model {meta.version} has format {meta.format}, this code reads format {FORMAT}: "
            "retrain with `chatbot train`"
        )
    here = library_versions()
    for lib in _PINNED:
        built = meta.libraries.get(lib, "unknown")
        if built != here[lib]:
            raise IncompatibleModel(
                f"model {meta.version} was built with {lib} {built}, this is {lib} {here[lib]}: "
                "retrain with `chatbot train` (or install the matching version)"
            )
    return meta


def load(path: Path) -> tuple[Any, ModelMeta]:
    """Load the model at ``path`` (registry or version directory) without running its code.

    Raises:
        ModelNotFound, BadModelFile, IncompatibleModel: see :mod:`nlu.errors`.
    """
    version_dir = resolve(path)
    meta = read_meta(version_dir)
    model = _load_classifier(version_dir / MODEL_FILE, meta.sha256)
    if tuple(str(c) for c in model.classes_) != meta.classes:
        raise BadModelFile(f"{version_dir / MODEL_FILE}: classes differ from {META_FILE}")
    return model, meta


def load_acts(path: Path) -> Any | None:
    """The dialogue-act model of the version at ``path``, or None for a version without one.

    Raises:
        ModelNotFound, BadModelFile, IncompatibleModel: as :func:`load`.
    """
    version_dir = resolve(path)
    meta = read_meta(version_dir)
    if not meta.acts:
        return None
    file = version_dir / str(meta.acts.get("file", ACTS_FILE))
    if file.parent != version_dir:
        raise BadModelFile(f"{version_dir / META_FILE}: act model file outside the version")
    acts = _load_classifier(file, str(meta.acts.get("sha256", "")))
    if [str(c) for c in acts.classes_] != list(meta.acts.get("classes", [])):
        raise BadModelFile(f"{file}: act classes differ from {META_FILE}")
    return acts


def _load_classifier(file: Path, sha256: str) -> Any:
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    from nlu.classifier import IntentClassifier

    try:
        blob = file.read_bytes()
    except OSError as exc:
        raise ModelNotFound(f"{file}: cannot read ({exc.strerror})") from exc
    if hashlib.sha256(blob).hexdigest() != sha256:
        raise BadModelFile(f"{file} does not match the checksum in {META_FILE}: refusing to load")
    try:
        # loads() audits the file and refuses any type not trusted here, before running
        # anything: one audit (a separate get_untrusted_types() doubled the load time).
        model = sio.loads(blob, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        raise BadModelFile(f"{file} holds untrusted types, refusing to load: {exc}") from exc
    except Exception as exc:  # skops reports corrupt files in many ways
        raise BadModelFile(f"{file}: cannot load model ({type(exc).__name__}: {exc})") from exc
    if not isinstance(model, IntentClassifier) or not hasattr(model, "classes_"):
        raise BadModelFile(f"{file} does not hold a fitted IntentClassifier")
    return model
