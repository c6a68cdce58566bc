"""Charts as inline SVG made on the server: no script, no library, a few hundred bytes each.

Every chart has a title and a text description for screen readers (role="img"), and shows its
values as text beside the marks, so nothing is conveyed by colour alone. Presentation is in
SVG attributes, not style attributes, so a strict Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

INK = "#1b1b1b"
BAR = "#1f5f99"  # 7:1 against white
ALERT = "#a4262c"
MUTED = "#5c5c5c"

Format = Callable[[float | None], str]


def _frame(width: int, height: int, title: str, description: str, body: str) -> Markup:
    # Every text interpolated into the SVG was escaped by the callers' `escape`.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{body}</svg>"
    )


def bars(
    title: str,
    items: Sequence[tuple[str, float | None]],
    fmt: Format,
    *,
    scale_max: float | None = None,
    alert_above: float | None = None,
) -> Markup:
    """Horizontal bars, one per labelled value; a missing value is drawn as a dash."""
    row, label_w, value_w, bar_w = 26, 190, 80, 300
    width, height = label_w + bar_w + value_w, max(row * len(items), row) + 6
    top = max([v for _, v in items if v is not None] + [scale_max or 0, 1e-9])
    parts: list[str] = []
    for index, (label, value) in enumerate(items):
        y = 4 + index * row
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="13" '
            f'fill="{INK}">{escape(label)}</text>'
        )
        if value is not None:
            length = max(1.0, bar_w * value / top) if value > 0 else 0.0
            colour = ALERT if alert_above is not None and value > alert_above else BAR
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
                f'fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{label_w + bar_w + 6}" y="{y + 16}" font-size="13" '
            f'fill="{INK}">{escape(fmt(value))}</text>'
        )
    description = "; ".join(f"{label}: {fmt(value)}" for label, value in items)
    return _frame(width, height, title, description, "".join(parts))


def columns(title: str, points: Sequence[tuple[str, float | None]], fmt: Format) -> Markup:
    """Vertical columns over time (a period per column), values above them."""
    width, height, base, gap = 560, 200, 170, 8
    step = width / max(len(points), 1)
    top = max([v for _, v in points if v is not None] + [1e-9])
    parts = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{MUTED}"/>']
    for index, (label, value) in enumerate(points):
        x = index * step + gap / 2
        if value is not None:
            h = (base - 30) * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{step - gap:.1f}" '
                f'height="{h:.1f}" fill="{BAR}"/>'
            )
            parts.append(
                f'<text x="{x + (step - gap) / 2:.1f}" y="{base - h - 5:.1f}" '
                f'text-anchor="middle" font-size="12" fill="{INK}">{escape(fmt(value))}</text>'
            )
        parts.append(
            f'<text x="{x + (step - gap) / 2:.1f}" y="{base + 18}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{escape(label)}</text>'
        )
    description = "; ".join(f"{label}: {fmt(value)}" for label, value in points)
    return _frame(width, height + 6, title, description, "".join(parts))


def funnel(title: str, steps: Sequence[tuple[str, int]], fmt: Format) -> Markup:
    """Centred bars narrowing from the first step (claims opened → approved → people)."""
    row, width = 34, 560
    top = max([v for _, v in steps] + [1])
    parts: list[str] = []
    for index, (label, value) in enumerate(steps):
        y = 4 + index * row
        w = max(2.0, (width - 200) * value / top)
        x = 200 + ((width - 200) - w) / 2
        parts.append(
            f'<text x="190" y="{y + 20}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(label)}: {escape(fmt(value))}</text>"
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row - 10}" fill="{BAR}"/>'
        )
    description = "; ".join(f"{label}: {fmt(value)}" for label, value in steps)
    return _frame(width, row * len(steps) + 8, title, description, "".join(parts))


def sparkline(title: str, values: Sequence[float | None], summary: str) -> Markup:
    """A small line over time (one value per slot, oldest first; None: no sample, a gap),
    with `summary` (say, its largest and last values, in the page's language) beside it and
    as its description."""
    width, height, text_w = 120, 30, 110
    top = max([v for v in values if v is not None] + [1e-9])
    step = width / max(len(values) - 1, 1)
    segments: list[list[tuple[int, int]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        point = (round(index * step), round(height - 4 - (height - 8) * value / top))
        run = segments[-1]
        # A flat run needs only its ends: an hour of zeros is two points, not sixty.
        if len(run) >= 2 and run[-1][1] == run[-2][1] == point[1]:
            run[-1] = point
        else:
            run.append(point)
    parts = [f'<line x1="0" y1="{height - 4}" x2="{width}" y2="{height - 4}" stroke="{MUTED}"/>']
    for run in segments:
        if len(run) == 1:
            x, y = run[0]
            parts.append(f'<circle cx="{x}" cy="{y}" r="2" fill="{BAR}"/>')
        elif run:
            line = " ".join(f"{x},{y}" for x, y in run)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    parts.append(
        f'<text x="{width + 6}" y="{height / 2 + 5:.0f}" font-size="12" fill="{INK}">'
        f"{escape(summary)}</text>"
    )
    # Many of these stand in one table: no <title>/<desc> repeating the label, which says
    # what the line is and its figures.
    return Markup(  # noqa: S704 - every text interpolated was escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + text_w + 30} {height}" '
        f'role="img" aria-label="{escape(title)}: {escape(summary)}">{"".join(parts)}</svg>'
    )
