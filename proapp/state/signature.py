"""The customer's half of a signing screen, shared by change orders (R8) and completion (R9).

The pro hands the phone over; the customer reads a large-type summary and the consent
text, types their name and signs on the pad. `SigningForm` holds what the customer
entered; `build_signature_record` binds it to exactly what was signed (DESIGN.md
section 5): the SHA-256 of the canonical content from `proapp.domain.signing`, the
consent text shown, device time, the signing pro and this device.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from proapp.domain.errors import DomainError, ErrorCode
from proapp.domain.models import SignatureRecord
from proapp.domain.signing import content_sha256

__all__ = [
    "MAX_POINTS_PER_STROKE",
    "MAX_STROKES",
    "MAX_SIGNER_NAME",
    "Point",
    "SigningForm",
    "Stroke",
    "build_signature_record",
    "normalise_strokes",
]

Point = tuple[int, int]
Stroke = list[Point]

# Limits of `SignatureRecord.strokes` (domain model): longer strokes are split, so a slow,
# careful signature is never refused; too many strokes is scribbling, and we say so.
MAX_POINTS_PER_STROKE = 5000
MAX_STROKES = 500
MAX_COORDINATE = 100_000
MAX_SIGNER_NAME = 200


def normalise_strokes(strokes: Sequence[Sequence[Sequence[float]]]) -> list[Stroke]:
    """Integer points inside the model's range, empty strokes dropped, long strokes split.

    The pad reports the pad's own coordinates (logical pixels, maybe fractional); the
    record keeps integers so the same signature always hashes and renders the same.
    """
    out: list[Stroke] = []
    for stroke in strokes:
        points: Stroke = []
        for point in stroke:
            x = min(max(round(point[0]), 0), MAX_COORDINATE)
            y = min(max(round(point[1]), 0), MAX_COORDINATE)
            if points and points[-1] == (x, y):
                continue  # a repeated sample adds nothing but bytes
            points.append((x, y))
        while len(points) > MAX_POINTS_PER_STROKE:
            out.append(points[:MAX_POINTS_PER_STROKE])
            # Overlap by one point so the split leaves no gap in the rendered line.
            points = points[MAX_POINTS_PER_STROKE - 1 :]
        if points:
            out.append(points)
    return out


@dataclass
class SigningForm:
    """What the customer entered on the signing panel: typed name and ink."""

    signer_name: str = ""
    strokes: list[Stroke] = field(default_factory=list)

    @property
    def has_ink(self) -> bool:
        """At least one point was drawn."""
        return any(self.strokes)

    @property
    def name_ok(self) -> bool:
        """A name was typed (and it fits the record)."""
        name = self.signer_name.strip()
        return 0 < len(name) <= MAX_SIGNER_NAME

    @property
    def can_accept(self) -> bool:
        """Accept is enabled only with a typed name and some ink."""
        return self.name_ok and self.has_ink

    def missing(self) -> str | None:
        """What still stops "Accept", in plain words, or None."""
        if not self.signer_name.strip():
            return "Type your full name, then sign in the box."
        if len(self.signer_name.strip()) > MAX_SIGNER_NAME:
            return f"The name is too long; use at most {MAX_SIGNER_NAME} characters."
        if not self.has_ink:
            return "Sign in the box with your finger."
        return None

    def clear(self) -> None:
        """Forget name and ink (a new hand-over starts blank)."""
        self.signer_name = ""
        self.strokes = []


def build_signature_record(
    *,
    form: SigningForm,
    png_sha256: str,
    content: Mapping[str, Any],
    consent_text: str,
    pro_user_id: str,
    device_id: str,
    clock: Callable[[], datetime],
) -> SignatureRecord:
    """A `SignatureRecord` for ``content`` (the dict from `proapp.domain.signing`).

    Raises:
        DomainError: ``invalid`` if the name or ink is missing or the ink is too long.
    """
    problem = form.missing()
    if problem is not None:
        raise DomainError(ErrorCode.INVALID, problem)
    strokes = normalise_strokes(form.strokes)
    if len(strokes) > MAX_STROKES:
        raise DomainError(
            ErrorCode.INVALID,
            "The signature has too many strokes. Tap Clear and sign once more.",
            {"strokes": len(strokes)},
        )
    return SignatureRecord(
        signer_name=form.signer_name.strip(),
        strokes=[list(stroke) for stroke in strokes],
        png_sha256=png_sha256,
        device_signed_at=clock(),
        consent_text=consent_text,
        pro_user_id=pro_user_id,
        device_id=device_id,
        content_sha256=content_sha256(content),
    )
