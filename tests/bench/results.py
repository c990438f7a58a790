"""The result row every suite returns, and the side-by-side table printed from them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

#: The unit of a row that reports a failure; its ``value`` is the message.
ERROR = "error"
#: The tool whose rate every other tool's rate is compared with in the table.
OURS = "cloudbrowser"


class Result(TypedDict):
    """One measured number (or one failure) for the JSON file and the table.

    ``case`` names what was measured, ``unit`` which number of it: a case has several rows
    per tool (``keys/s``, ``s``, ``s client CPU``...). A failed tool gets one row with unit
    ``"error"`` and the message as ``value`` instead of numbers.
    """

    suite: str
    case: str
    tool: str
    value: float | str
    unit: str


def result(suite: str, case: str, tool: str, value: float | str, unit: str) -> Result:
    return {"suite": suite, "case": case, "tool": tool, "value": value, "unit": unit}


def _fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _is_rate(unit: str) -> bool:
    """A higher-is-better throughput (``keys/s``, ``files/s``, ``MB/s``)."""
    return unit.endswith("/s")


def table(rows: Iterable[Result]) -> str:
    """One table per (suite, case): a row per tool, a column per unit.

    For every rate column a ``cloudbrowser/tool`` column follows: cloudbrowser's rate divided
    by the tool's (above 1 means cloudbrowser is faster). Errors are printed in place of the
    tool's numbers.
    """
    by_case: dict[tuple[str, str], list[Result]] = {}
    for r in rows:
        by_case.setdefault((r["suite"], r["case"]), []).append(r)
    out: list[str] = []
    for (suite, case), case_rows in by_case.items():
        tools = list(dict.fromkeys(r["tool"] for r in case_rows))
        units = list(dict.fromkeys(r["unit"] for r in case_rows if r["unit"] != ERROR))
        cell = {(r["tool"], r["unit"]): r["value"] for r in case_rows}
        header = ["tool"]
        for unit in units:
            header.append(unit)
            if _is_rate(unit):
                header.append(f"{OURS}/tool")
        if len(header) == 1:  # every tool of this case failed: a column for "ERROR"
            header.append("result")
        lines: list[list[str]] = []
        errors: list[str] = []
        for name in tools:
            if (name, ERROR) in cell:
                lines.append([name, "ERROR"] + [""] * (len(header) - 2))
                errors.append(f"  {name}: {cell[(name, ERROR)]}")
                continue
            line = [name]
            for unit in units:
                value = cell.get((name, unit))
                line.append("-" if value is None else _fmt(value))
                if _is_rate(unit):
                    ours = cell.get((OURS, unit))
                    if isinstance(ours, float | int) and isinstance(value, float | int) and value:
                        line.append(f"{ours / value:.2f}")
                    else:
                        line.append("-")
            lines.append(line)
        widths = [max(len(c) for c in col) for col in zip(header, *lines, strict=True)]

        def render(cells: list[str], widths: list[int] = widths) -> str:
            first = cells[0].ljust(widths[0])
            rest = (c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True))
            return "  ".join([first, *rest]).rstrip()

        out.append(f"[{suite}] {case}")
        out.append(render(header))
        out.append(render(["-" * w for w in widths]))
        out.extend(render(line) for line in lines)
        if errors:
            out.append("errors:")
            out.extend(errors)
        out.append("")
    return "\n".join(out)
