"""The condition language of the rulebooks: syntax and static types.

Conditions are written as short text (`conduct.method == "api_queries" and not
conduct.misrepresentation`) so that a lawyer can read a rule without reading Python, and they are
parsed here into a small typed tree. Nothing is ever handed to Python's `eval`: the only operations
are the ones this module knows. Types are checked when a rulebook loads, so a misspelt fact, an
enum value that does not exist or a comparison between a date and a number stops the rulebook from
loading instead of silently evaluating to "unknown".

Grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := primary (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") primary)?
    primary := STRING | NUMBER | "true" | "false" | "(" expr ")" | "{" STRING ("," STRING)* "}"
             | "@" PREDICATE | FUNCTION "(" args ")" | FACT_PATH

Functions: `param(name)`, `date("YYYY-MM-DD")`, `nonempty(list)`, `overlaps(list, {...})`,
`add_months(date, number)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

Scalar = str | int | float | bool | date


class ExpressionError(ValueError):
    """A condition that does not parse or does not type-check."""


@dataclass(frozen=True)
class Literal:
    value: Scalar


@dataclass(frozen=True)
class SetLiteral:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    path: str


@dataclass(frozen=True)
class Conclusion:
    predicate: str


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Expr
    right: Expr


Expr = Literal | SetLiteral | Fact | Conclusion | Param | Call | Not | And | Or | Compare

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
FUNCTIONS = ("nonempty", "overlaps", "add_months")

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"[^"]*"|'[^']*')
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<op>==|!=|>=|<=|>|<|\(|\)|\{|\}|,)
    | (?P<concl>@[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)
    | (?P<name>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"unexpected character {source[pos:].strip()[:1]!r} at {pos}")
        kind = match.lastgroup or ""
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


@dataclass
class _Parser:
    source: str
    tokens: list[_Token]
    pos: int = 0

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise ExpressionError(f"unexpected end of condition: {self.source!r}")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise ExpressionError(f"expected {text!r} at {token.at}, found {token.text!r}")

    def at_word(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token.kind == "name" and token.text == word

    def parse(self) -> Expr:
        expr = self.or_()
        if self.peek() is not None:
            token = self.take()
            raise ExpressionError(f"unexpected {token.text!r} at {token.at}")
        return expr

    def or_(self) -> Expr:
        operands = [self.and_()]
        while self.at_word("or"):
            self.take()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_(self) -> Expr:
        operands = [self.not_()]
        while self.at_word("and"):
            self.take()
            operands.append(self.not_())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_(self) -> Expr:
        if self.at_word("not"):
            self.take()
            return Not(self.not_())
        return self.compare()

    def compare(self) -> Expr:
        left = self.primary()
        token = self.peek()
        if token is None:
            return left
        if token.kind == "op" and token.text in COMPARISONS:
            self.take()
            return Compare(token.text, left, self.primary())
        if self.at_word("in"):
            self.take()
            return Compare("in", left, self.primary())
        if self.at_word("not") and self.at_word("in", 1):
            self.take()
            self.take()
            return Compare("not in", left, self.primary())
        return left

    def primary(self) -> Expr:
        token = self.take()
        if token.kind == "string":
            return Literal(token.text[1:-1])
        if token.kind == "number":
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "concl":
            return Conclusion(token.text[1:])
        if token.text == "(":
            inner = self.or_()
            self.expect(")")
            return inner
        if token.text == "{":
            return self.set_literal()
        if token.kind != "name":
            raise ExpressionError(f"unexpected {token.text!r} at {token.at}")
        if token.text in ("true", "false"):
            return Literal(token.text == "true")
        nxt = self.peek()
        if nxt is not None and nxt.text == "(":
            return self.call(token)
        return Fact(token.text)

    def set_literal(self) -> SetLiteral:
        items: list[str] = []
        while True:
            token = self.take()
            if token.kind != "string":
                raise ExpressionError(f"sets hold quoted strings only, found {token.text!r} at {token.at}")
            items.append(token.text[1:-1])
            closing = self.take()
            if closing.text == "}":
                return SetLiteral(tuple(items))
            if closing.text != ",":
                raise ExpressionError(f"expected ',' or '}}' at {closing.at}")

    def call(self, name: _Token) -> Expr:
        self.expect("(")
        if name.text == "param":
            arg = self.take()
            self.expect(")")
            if arg.kind != "name":
                raise ExpressionError(f"param() takes a parameter name, found {arg.text!r}")
            return Param(arg.text)
        if name.text == "date":
            arg = self.take()
            self.expect(")")
            try:
                return Literal(date.fromisoformat(arg.text[1:-1]))
            except ValueError as exc:
                raise ExpressionError(f"date() needs a quoted ISO date, found {arg.text!r}") from exc
        if name.text not in FUNCTIONS:
            raise ExpressionError(
                f"unknown function {name.text!r}; known: param, date, {', '.join(FUNCTIONS)}"
            )
        args = [self.or_()]
        while (token := self.peek()) is not None and token.text == ",":
            self.take()
            args.append(self.or_())
        self.expect(")")
        return Call(name.text, tuple(args))


def parse(source: str) -> Expr:
    """Parse a condition; raises ExpressionError with the position of the first problem."""
    return _Parser(source, _tokens(source)).parse()


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents first."""
    yield expr
    children: tuple[Expr, ...] = ()
    if isinstance(expr, Call):
        children = expr.args
    elif isinstance(expr, Not):
        children = (expr.operand,)
    elif isinstance(expr, And | Or):
        children = expr.operands
    elif isinstance(expr, Compare):
        children = (expr.left, expr.right)
    for child in children:
        yield from walk(child)


# --- static types -------------------------------------------------------------------------


@dataclass(frozen=True)
class Type:
    """A static type. `domain` lists the allowed strings of enums, lists, sets and conclusions."""

    kind: str  # bool | number | flag | date | str | enum | list | set | conclusion
    domain: frozenset[str] = field(default_factory=frozenset)


BOOL = Type("bool")
NUMBER = Type("number")
DATE = Type("date")
STR = Type("str")


class Vocabulary(Protocol):
    """What a condition may name: the facts schema, the predicates and the parameters."""

    def fact_type(self, path: str) -> Type | None: ...

    def predicate_type(self, name: str) -> Type | None: ...

    def param_type(self, name: str) -> Type | None: ...


def check(expr: Expr, vocabulary: Vocabulary) -> list[str]:
    """Type problems of a condition (empty when it is a well-typed boolean)."""
    problems: list[str] = []
    result = _type_of(expr, vocabulary, problems)
    if result is not None and result.kind not in ("bool", "flag"):
        problems.append(f"a condition must be true or false, not a {result.kind}")
    return problems


def _truthy(expr: Expr, vocabulary: Vocabulary, problems: list[str]) -> None:
    kind = _type_of(expr, vocabulary, problems)
    if kind is not None and kind.kind not in ("bool", "flag"):
        problems.append(f"{_show(expr)} is a {kind.kind}, not true/false")


def _type_of(expr: Expr, vocabulary: Vocabulary, problems: list[str]) -> Type | None:
    if isinstance(expr, Literal):
        value = expr.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, int | float):
            return NUMBER
        return DATE if isinstance(value, date) else STR
    if isinstance(expr, SetLiteral):
        return Type("set", frozenset(expr.items))
    if isinstance(expr, Fact | Conclusion | Param):
        found = _named_type(expr, vocabulary)
        if found is None:
            problems.append(f"unknown {_what(expr)} {_show(expr)}")
        return found
    if isinstance(expr, Not):
        _truthy(expr.operand, vocabulary, problems)
        return BOOL
    if isinstance(expr, And | Or):
        for operand in expr.operands:
            _truthy(operand, vocabulary, problems)
        return BOOL
    if isinstance(expr, Call):
        return _call_type(expr, vocabulary, problems)
    return _compare_type(expr, vocabulary, problems)


def _named_type(expr: Fact | Conclusion | Param, vocabulary: Vocabulary) -> Type | None:
    if isinstance(expr, Fact):
        return vocabulary.fact_type(expr.path)
    if isinstance(expr, Conclusion):
        return vocabulary.predicate_type(expr.predicate)
    return vocabulary.param_type(expr.name)


def _call_type(expr: Call, vocabulary: Vocabulary, problems: list[str]) -> Type | None:
    args = [_type_of(arg, vocabulary, problems) for arg in expr.args]
    expected = {"nonempty": ("list",), "overlaps": ("list", "set"), "add_months": ("date", "number")}
    kinds = expected[expr.function]
    if len(args) != len(kinds):
        problems.append(f"{expr.function}() takes {len(kinds)} argument(s)")
        return None
    for arg, kind in zip(args, kinds, strict=True):
        if arg is not None and arg.kind != kind and not (kind == "number" and arg.kind == "flag"):
            problems.append(f"{expr.function}() needs a {kind}, got a {arg.kind}")
    if expr.function == "overlaps" and args[0] is not None and args[1] is not None:
        _check_members(args[1].domain, args[0], problems)
    return DATE if expr.function == "add_months" else BOOL


def _compare_type(expr: Compare, vocabulary: Vocabulary, problems: list[str]) -> Type | None:
    left = _type_of(expr.left, vocabulary, problems)
    right = _type_of(expr.right, vocabulary, problems)
    if left is None or right is None:
        return BOOL
    if expr.op in ("in", "not in"):
        if right.kind != "set":
            problems.append(f"{_show(expr.right)} after '{expr.op}' must be a set literal {{...}}")
        else:
            _check_members(right.domain, left, problems)
        return BOOL
    numeric = {"number", "flag"}
    if left.kind in numeric and right.kind in numeric:
        return BOOL
    if left.kind == right.kind == "date" or (left.kind == right.kind == "bool" and expr.op in ("==", "!=")):
        return BOOL
    if expr.op in ("==", "!=") and right.kind == "str" and isinstance(expr.right, Literal):
        _check_members(frozenset({str(expr.right.value)}), left, problems)
        return BOOL
    problems.append(f"cannot compare a {left.kind} with a {right.kind} using {expr.op!r}")
    return BOOL


def _check_members(members: frozenset[str], target: Type, problems: list[str]) -> None:
    if target.kind not in ("enum", "list", "conclusion"):
        problems.append(f"membership needs an enum, list or conclusion, got a {target.kind}")
        return
    for member in sorted(members - target.domain):
        problems.append(f"{member!r} is not one of {', '.join(sorted(target.domain))}")


def _what(expr: Fact | Conclusion | Param) -> str:
    return {Fact: "fact", Conclusion: "predicate", Param: "parameter"}[type(expr)]


def _show(expr: Expr) -> str:
    if isinstance(expr, Fact):
        return expr.path
    if isinstance(expr, Conclusion):
        return f"@{expr.predicate}"
    if isinstance(expr, Param):
        return f"param({expr.name})"
    if isinstance(expr, Literal):
        return repr(expr.value)
    return type(expr).__name__.lower()
