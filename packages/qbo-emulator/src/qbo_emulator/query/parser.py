"""The QBO query language subset: tokenizer and parser into a typed ``Query``.

``SELECT * | COUNT(*) | a, b FROM Entity [WHERE p op v [AND ...]] [ORDERBY p [ASC|DESC], ...]
[STARTPOSITION n] [MAXRESULTS m]`` with ops ``= < > <= >= IN LIKE``. Strings are single-quoted
and use backslash escapes (``\\'`` and ``\\\\``). There is no OR, as in QBO. Syntax errors
raise fault 4000 (QueryParserError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from qbo_emulator import faults

QueryValue = str | Decimal | bool
COMPARISONS = ("=", "<", ">", "<=", ">=")
DEFAULT_MAX_RESULTS = 100

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    | (?P<op><=|>=|!=|<>|[=<>(),*])
    | (?P<quote>')
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # "number" | "ident" | "op" | "string" | "end"
    text: str
    position: int

    def is_keyword(self, word: str) -> bool:
        return self.kind == "ident" and self.text.upper() == word


@dataclass(frozen=True)
class Condition:
    path: str
    op: str  # one of COMPARISONS, "IN", "LIKE"
    values: tuple[QueryValue, ...]


@dataclass(frozen=True)
class Query:
    entity: str
    count: bool
    fields: tuple[str, ...]
    where: tuple[Condition, ...]
    order_by: tuple[tuple[str, bool], ...]  # (path, descending)
    start_position: int
    max_results: int


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The literal that starts after the quote at ``start - 1``; backslash escapes one char."""
    out: list[str] = []
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
        elif char == "'":
            return "".join(out), index + 1
        else:
            out.append(char)
            index += 1
    raise faults.query_parse(f"Lexical error: unterminated string starting at column {start}")


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            tokens.append(Token("end", "", index))
            return tokens
        match = _TOKEN.match(text, index)
        if match is None:
            raise faults.query_parse(
                f'Lexical error at line 1, column {index + 1}. Encountered: "{text[index]}"'
            )
        kind = match.lastgroup or "op"
        if kind == "quote":
            value, index = _read_string(text, match.end())
            tokens.append(Token("string", value, match.start(kind)))
            continue
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        index = match.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def fail(self) -> faults.QboFault:
        token = self.current
        shown = token.text if token.kind != "end" else "<EOF>"
        return faults.query_parse(
            f'Encountered " {token.kind.upper()} "{shown} "" at line 1, column {token.position + 1}.'
        )

    def expect_keyword(self, word: str) -> None:
        if not self.current.is_keyword(word):
            raise self.fail()
        self.advance()

    def expect_op(self, op: str) -> None:
        if self.current.kind != "op" or self.current.text != op:
            raise self.fail()
        self.advance()

    def ident(self) -> str:
        if self.current.kind != "ident":
            raise self.fail()
        return self.advance().text

    def integer(self) -> int:
        token = self.current
        if token.kind != "number" or not token.text.isdigit():
            raise self.fail()
        self.advance()
        return int(token.text)

    def value(self) -> QueryValue:
        token = self.current
        if token.kind == "string":
            self.advance()
            return token.text
        if token.kind == "number":
            self.advance()
            return Decimal(token.text)
        if token.is_keyword("TRUE") or token.is_keyword("FALSE"):
            self.advance()
            return token.text.upper() == "TRUE"
        raise self.fail()

    def parse(self) -> Query:
        self.expect_keyword("SELECT")
        count, fields = self.select_list()
        self.expect_keyword("FROM")
        entity = self.ident()
        where: list[Condition] = []
        if self.current.is_keyword("WHERE"):
            self.advance()
            where.append(self.condition())
            while self.current.is_keyword("AND"):
                self.advance()
                where.append(self.condition())
        order_by: list[tuple[str, bool]] = []
        if self.current.is_keyword("ORDERBY"):
            self.advance()
            order_by.append(self.order_item())
            while self.current.kind == "op" and self.current.text == ",":
                self.advance()
                order_by.append(self.order_item())
        start, maximum = 1, DEFAULT_MAX_RESULTS
        while self.current.is_keyword("STARTPOSITION") or self.current.is_keyword("MAXRESULTS"):
            keyword = self.advance().text.upper()
            if keyword == "STARTPOSITION":
                start = self.integer()
            else:
                maximum = self.integer()
        if self.current.kind != "end":
            raise self.fail()
        return Query(entity, count, fields, tuple(where), tuple(order_by), start, maximum)

    def select_list(self) -> tuple[bool, tuple[str, ...]]:
        if self.current.is_keyword("COUNT"):
            self.advance()
            self.expect_op("(")
            self.expect_op("*")
            self.expect_op(")")
            return True, ()
        fields: list[str] = []
        while True:
            if self.current.kind == "op" and self.current.text == "*":
                self.advance()
                fields.append("*")
            else:
                fields.append(self.ident())
            if not (self.current.kind == "op" and self.current.text == ","):
                return False, tuple(fields)
            self.advance()

    def condition(self) -> Condition:
        path = self.ident()
        token = self.current
        if token.is_keyword("IN"):
            self.advance()
            self.expect_op("(")
            values = [self.value()]
            while self.current.kind == "op" and self.current.text == ",":
                self.advance()
                values.append(self.value())
            self.expect_op(")")
            return Condition(path, "IN", tuple(values))
        if token.is_keyword("LIKE"):
            self.advance()
            if self.current.kind != "string":
                raise self.fail()
            return Condition(path, "LIKE", (self.advance().text,))
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            return Condition(path, token.text, (self.value(),))
        raise self.fail()

    def order_item(self) -> tuple[str, bool]:
        path = self.ident()
        if self.current.is_keyword("DESC"):
            self.advance()
            return path, True
        if self.current.is_keyword("ASC"):
            self.advance()
        return path, False


def parse_query(text: str) -> Query:
    return _Parser(text.strip()).parse()
