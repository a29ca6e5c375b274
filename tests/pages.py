"""Synthetic pages shared by tests (importable: tests/ is on sys.path)."""

from __future__ import annotations

FILLER = (
    "Staff knew people well and spoke respectfully about those they supported. "
    "Care records were reviewed regularly and updated when needs changed. "
) * 6


def long_page(events: int, paragraphs: int = 8) -> str:
    """A location page of ``events`` inspections, each padded with ``paragraphs`` paragraphs, so
    that it is long enough to be read in several parts."""
    parts = ["Example Care Home\n\nAll Inspections\n"]
    for i in range(events):
        parts.append(
            f"\nInspection carried out on {1 + i} March {2022 - i}\n\nDuring a routine inspection\n\n"
            f"About the service\n\nAt the time of the inspection {20 + i} people were using the "
            "service.\n\n"
        )
        parts.extend(f"{FILLER}\n\n" for _ in range(paragraphs))
        if i % 2 == 0:
            parts.append("This inspection was unannounced.\n\n")
    return "".join(parts)
