"""Defined parameters (``name := expression``) and equality constraints (``lhs == rhs``) over labels.

Expressions use parameter labels, earlier defined parameters, numbers, ``+ - * / ^`` (or ``**``),
parentheses and ``sqrt``, ``exp``, ``log``. Derivatives for the delta method are taken by the
complex step (exact to rounding for these analytic functions). Equality constraints must be
linear in the parameters; they are imposed by reparametrising θ = θ₀ + N x over the null space
of the constraint matrix, so standard errors are those of the constrained model.

>>> f = Formula("a*b + 2^c", ["a", "b", "c"], "ind := a*b + 2^c")
>>> float(f({"a": 2.0, "b": 3.0, "c": 1.0}))
8.0
"""

from __future__ import annotations

import ast
import re

import numpy as np

from fusion_study.measurement.sem.syntax import ModelSyntaxError

__all__ = ["Formula", "ParameterFunctions", "ConstrainedModel"]

_FUNCS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log}
_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
           ast.Pow: np.power}
_STEP = 1e-20  # complex-step size
_NAME = re.compile(r"(?<![\w.])[A-Za-z_\u4e00-\u9fff][\w.\u4e00-\u9fff]*")


class Formula:
    """A parsed arithmetic expression over named parameters (no Python evaluation involved)."""

    def __init__(self, text: str, known, line: str):
        self.text = text
        self.line = line
        # labels may contain dots (lavaan allows "a.1"): parse them as placeholder names
        self._alias: dict[str, str] = {}

        def alias(m):
            name = m.group(0)
            if "." not in name:
                return name
            return self._alias.setdefault(name, f"_dotted{len(self._alias)}_")

        try:
            tree = ast.parse(_NAME.sub(alias, text).replace("^", "**"), mode="eval")
        except SyntaxError:
            raise ModelSyntaxError(f"model line {line!r}: cannot read the expression {text!r}") from None
        self._real = {v: k for k, v in self._alias.items()}
        self.names: list[str] = []
        self._check(tree.body)
        unknown = [n for n in self.names if n not in known]
        if unknown:
            raise ModelSyntaxError(
                f"model line {line!r}: {unknown} {'is' if len(unknown) == 1 else 'are'} not a parameter label "
                f"of the model (labels: {sorted(known) or 'none — label parameters as a*x'}); a defined "
                "parameter can be used only after its own ':=' line")
        self._tree = tree.body

    def _check(self, node) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            self._check(node.left)
            self._check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            self._check(node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            pass
        elif isinstance(node, ast.Name):
            name = self._real.get(node.id, node.id)
            if name not in self.names:
                self.names.append(name)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
              and len(node.args) == 1 and not node.keywords):
            self._check(node.args[0])
        else:
            raise ModelSyntaxError(
                f"model line {self.line!r}: {ast.unparse(node)!r} is not allowed in a parameter expression "
                f"(use labels, numbers, + - * / ^ and {sorted(_FUNCS)})")

    def __call__(self, env: dict):
        return self._eval(self._tree, env)

    def _eval(self, node, env):
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, env)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return env[self._real.get(node.id, node.id)]
        return _FUNCS[node.func.id](self._eval(node.args[0], env))


class ParameterFunctions:
    """The model's defined parameters and equality constraints as functions of the free vector θ."""

    def __init__(self, spec, formulas):
        self.labels: dict[str, tuple[int, float | None]] = {}
        for par in spec.params:
            if par.label is not None and par.label not in self.labels:
                self.labels[par.label] = (par.index, par.value)
        self.q = spec.n_free
        taken = set(spec.variables)
        known = set(self.labels)
        self.defined: list[tuple[str, Formula]] = []
        self.constraints: list[tuple[Formula, Formula]] = []
        for t in formulas:
            line = f"{t.lhs} {t.op} {t.rhs}"
            if t.op == ":=":
                if t.lhs in known or t.lhs in taken:
                    raise ModelSyntaxError(f"model line {line!r}: {t.lhs!r} is already a label, variable or "
                                           "defined parameter; choose another name")
                self.defined.append((t.lhs, Formula(t.rhs, known, line)))
                known.add(t.lhs)
        for t in formulas:
            if t.op == "==":
                line = f"{t.lhs} == {t.rhs}"
                self.constraints.append((Formula(t.lhs, known, line), Formula(t.rhs, known, line)))

    def _env(self, theta) -> dict:
        env = {}
        for name, (k, val) in self.labels.items():
            env[name] = theta[k] if k >= 0 else (0.0 if val is None else float(val))
        for name, f in self.defined:
            env[name] = f(env)
        return env

    def defined_values(self, theta) -> np.ndarray:
        env = self._env(theta)
        return np.array([np.real(env[name]) for name, _ in self.defined], dtype=float)

    def constraint_values(self, theta) -> np.ndarray:
        env = self._env(theta)
        return np.array([np.real(lhs(env) - rhs(env)) for lhs, rhs in self.constraints], dtype=float)

    def _jacobian(self, fn, theta) -> np.ndarray:
        """Complex-step Jacobian: all q directions in one vectorised evaluation."""
        q = len(theta)
        th = theta[:, None] + 1j * _STEP * np.eye(q)  # column k perturbs θ_k
        with np.errstate(all="ignore"):
            env = self._env(th)
            out = fn(env)
        return np.array([np.imag(np.broadcast_to(v, (q,))) / _STEP for v in out]).reshape(len(out), q)

    def defined_jacobian(self, theta) -> np.ndarray:
        return self._jacobian(lambda env: [env[name] for name, _ in self.defined], np.asarray(theta, float))

    def constraint_jacobian(self, theta) -> np.ndarray:
        return self._jacobian(lambda env: [lhs(env) - rhs(env) for lhs, rhs in self.constraints],
                              np.asarray(theta, float))

    def reparametrization(self, theta_start: np.ndarray):
        """``(t0, N)`` with every θ satisfying the constraints written θ = t0 + N x.

        Raises ``ModelSyntaxError`` for a constraint that is not linear in the parameters or
        constraints that contradict each other.
        """
        t1 = np.asarray(theta_start, float)
        t2 = t1 + 0.37 * (1 + np.arange(len(t1))) / len(t1)
        j1, j2 = self.constraint_jacobian(t1), self.constraint_jacobian(t2)
        h1, h2 = self.constraint_values(t1), self.constraint_values(t2)
        scale = 1 + np.abs(j1).max(axis=1, initial=0)
        curved = (np.abs(j1 - j2).max(axis=1, initial=0) > 1e-8 * scale) | \
                 (np.abs(h2 - h1 - j1 @ (t2 - t1)) > 1e-8 * scale * (1 + np.abs(h1)))
        if curved.any():
            bad = [f"{lhs.text} == {rhs.text}" for (lhs, rhs), c in zip(self.constraints, curved) if c]
            raise ModelSyntaxError(f"constraint(s) {bad} are not linear in the parameters; only linear equality "
                                   "constraints (e.g. a == b, a == 2*b, a + b == 1) are supported")
        a = j1
        b = a @ t1 - h1
        t0, *_ = np.linalg.lstsq(a, b, rcond=None)
        if np.abs(a @ t0 - b).max(initial=0) > 1e-8 * (1 + np.abs(b).max(initial=0)):
            text = [f"{lhs.text} == {rhs.text}" for lhs, rhs in self.constraints]
            raise ModelSyntaxError(f"the equality constraints {text} contradict each other: no parameter "
                                   "values satisfy all of them")
        u, s, vt = np.linalg.svd(a)
        rank = int(np.sum(s > 1e-10 * max(1.0, s.max(initial=0))))
        null = vt[rank:].T
        if null.shape[1] == 0:
            raise ModelSyntaxError("the equality constraints fix every free parameter; nothing is left to estimate")
        return t0, null


class ConstrainedModel:
    """A :class:`~.estimation.RamModel` seen through θ = t0 + N x: moments and derivatives in x."""

    def __init__(self, model, t0: np.ndarray, null: np.ndarray):
        self.base = model
        self.spec, self.pos, self.nv, self.p = model.spec, model.pos, model.nv, model.p
        self.t0, self.null = t0, null
        self.q = null.shape[1]

    def full(self, x: np.ndarray) -> np.ndarray:
        return self.t0 + self.null @ x

    def reduce(self, theta: np.ndarray) -> np.ndarray:
        return self.null.T @ (theta - self.t0)

    def matrices(self, x, g):
        return self.base.matrices(self.full(x), g)

    def implied(self, x, g, *, derivatives: bool = False):
        sigma, mu, dsig, dmu = self.base.implied(self.full(x), g, derivatives=derivatives)
        if derivatives:
            dsig = np.tensordot(self.null.T, dsig, axes=(1, 0))
            dmu = self.null.T @ dmu
        return sigma, mu, dsig, dmu
