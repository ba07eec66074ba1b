"""A lavaan-style model syntax subset: ``=~``, ``~``, ``~~``, ``~1``, fixed values and labels,
defined parameters ``name := expression`` and equality constraints ``expression == expression``.

>>> [ (r.lhs, r.op, r.rhs, r.fixed, r.label) for r in parse_model("f =~ 1*x1 + a*x2\\nf ~~ f")]
[('f', '=~', 'x1', 1.0, None), ('f', '=~', 'x2', None, 'a'), ('f', '~~', 'f', None, None)]
>>> [(r.lhs, r.op, r.rhs) for r in parse_model("y ~ a*m + c*x\\nm ~ b*x\\nind := a * b\\na == 2*c")][-2:]
[('ind', ':=', 'a*b'), ('a', '==', '2*c')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ModelTerm", "ModelSyntaxError", "parse_model", "model_from_scales"]

_IDENT = re.compile(r"^[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*$")


class ModelSyntaxError(ValueError):
    """The model text cannot be parsed; the message names the line."""


@dataclass(frozen=True)
class ModelTerm:
    """One user-specified relation: ``lhs op rhs`` with an optional fixed value or label."""

    lhs: str
    op: str
    rhs: str
    fixed: float | None = None
    label: str | None = None
    free: bool = False  # NA* modifier: free a parameter that would be fixed by default


def _modifier(text: str, line: str):
    text = text.strip()
    if text == "NA":
        return None, None, True
    try:
        return float(text), None, False
    except ValueError:
        pass
    if _IDENT.match(text):
        return None, text, False
    raise ModelSyntaxError(f"cannot read the modifier {text!r} in model line {line!r}")


def parse_model(model: str) -> list[ModelTerm]:
    """Parse lavaan-style model text into :class:`ModelTerm` rows (comments with ``#`` or ``!``)."""
    if not isinstance(model, str):
        raise TypeError("model must be a string in lavaan syntax")
    out: list[ModelTerm] = []
    for raw in re.split(r"[\n;]", model):
        line = re.split(r"[#!]", raw, maxsplit=1)[0].strip()
        if not line:
            continue
        if ":=" in line or "==" in line:
            out.append(_parameter_formula(line))
            continue
        if re.search(r"[<>]", line):
            raise ModelSyntaxError(f"model line {line!r}: inequality constraints (<, >) are not supported; "
                                   "use == for equality constraints")
        for op in ("=~", "~~", "~"):
            if op in line:
                lhs, rhs = line.split(op, 1)
                break
        else:
            raise ModelSyntaxError(f"model line {line!r} has no operator (=~, ~, ~~, := or ==)")
        lhs_names = [x.strip() for x in lhs.split("+")]
        for name in lhs_names:
            if not _IDENT.match(name):
                raise ModelSyntaxError(f"bad variable name {name!r} in model line {line!r}")
        for term in rhs.split("+"):
            term = term.strip()
            if not term:
                raise ModelSyntaxError(f"empty term in model line {line!r}")
            fixed = label = None
            free = False
            if "*" in term:
                mod, term = term.rsplit("*", 1)
                term = term.strip()
                fixed, label, free = _modifier(mod, line)
            if op == "~" and term == "1":
                for name in lhs_names:
                    out.append(ModelTerm(name, "~1", "", fixed, label, free))
                continue
            if not _IDENT.match(term):
                raise ModelSyntaxError(f"bad variable name {term!r} in model line {line!r}")
            for name in lhs_names:
                out.append(ModelTerm(name, op, term, fixed, label, free))
    if not out:
        raise ModelSyntaxError("the model is empty")
    return out


def _parameter_formula(line: str) -> ModelTerm:
    """``name := expression`` (a defined parameter) or ``expression == expression`` (a constraint)."""
    op = ":=" if ":=" in line else "=="
    lhs, rhs = (re.sub(r"\s+", "", part) for part in line.split(op, 1))
    if not lhs or not rhs or op in rhs:
        raise ModelSyntaxError(f"model line {line!r}: expected 'name := expression' or "
                               "'expression == expression'")
    if op == ":=" and not _IDENT.match(lhs):
        raise ModelSyntaxError(f"model line {line!r}: the defined parameter's name {lhs!r} is not a valid name")
    return ModelTerm(lhs, op, rhs)


def model_from_scales(scales: dict[str, list[str]]) -> str:
    """Model text for a CFA with one factor per scale.

    >>> model_from_scales({"sat": ["s1", "s2"], "qual": ["q1", "q2", "q3"]})
    'sat =~ s1 + s2\\nqual =~ q1 + q2 + q3'
    """
    return "\n".join(f"{name} =~ {' + '.join(items)}" for name, items in scales.items())
