"""ICWS'94 Redcode assembler, following what pMARS 0.9 accepts.

The source is tokenised and parsed, never evaluated: integer expressions go through a
small recursive-descent parser with C precedence (``* / %``, ``+ -``, comparisons,
``&&``, ``||``; unary ``- + !``; division truncates toward zero, as in C).

What is understood (ICWS'94 draft, Doligez & Durham 1994; pMARS 0.9 extensions):

- every opcode with an optional modifier; a missing modifier gets the ICWS'94 default
  (DAT/NOP ``.F``; MOV/CMP/SEQ/SNE ``.AB`` if A is immediate, ``.B`` if B is immediate,
  else ``.I``; ADD/SUB/MUL/DIV/MOD the same with ``.F``; SLT/LDP/STP ``.AB`` or ``.B``;
  JMP/JMZ/JMN/DJN/SPL ``.B``);
- the eight addressing modes ``# $ * @ { < } >`` (``$`` when none is given);
- one operand only: DAT puts it in the B field with A = ``#0``; JMP, SPL and NOP get
  B = ``$0``; any other opcode is an error (as in pMARS);
- labels (optionally followed by ``:``), which evaluate relative to the instruction that
  uses them (absolute in ORG, END and PIN);
- ``EQU`` as text substitution (so ``x EQU 2+3`` makes ``x*2`` equal 8, as pMARS does);
- ``ORG start``, ``END [start]``, ``PIN n``, ``FOR n`` ... ``ROF`` with a counter label
  (``&i`` concatenates the two-digit count);
- the predefined constants CORESIZE, MAXPROCESSES, MAXCYCLES, MAXLENGTH, MINDISTANCE,
  ROUNDS, PSPACESIZE, WARRIORS, VERSION and CURLINE;
- ``;redcode`` (text before it is ignored), ``;name``, ``;author`` and ``;assert``.

Every error is an :class:`AssemblyError` naming the source line and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from redqueen.games.corewar.redcode import (
    MODES,
    MODIFIERS,
    OPCODES,
    AssemblyError,
    Instruction,
    Warrior,
)

PMARS_VERSION = 92
MAX_SOURCE_CHARS = 1_000_000
MAX_EXPANDED_LINES = 100_000
_PSEUDO = ("EQU", "ORG", "END", "FOR", "ROF", "PIN")

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/%()!<>=#$@{}&,.:]))"
)


@dataclass
class _Line:
    number: int
    tokens: list[str]
    labels: list[str] = field(default_factory=list)


def _tokenize(text: str, line: int) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].strip()[:1]
            raise AssemblyError(line, f"unexpected character {bad!r}")
        tokens.append(m.group(m.lastgroup or "op"))
        pos = m.end()
    return tokens


def _is_name(tok: str) -> bool:
    return bool(tok) and (tok[0].isalpha() or tok[0] == "_")


def _split_opcode(tok: str) -> str | None:
    up = tok.upper()
    if up in OPCODES or up in _PSEUDO:
        return up
    return None


class _Expr:
    """Recursive-descent evaluator over a token list (C precedence, 64-bit ints)."""

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!=", "<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def __init__(self, tokens: list[str], line: int) -> None:
        self.tokens = tokens
        self.pos = 0
        self.line = line

    def parse(self) -> int:
        if not self.tokens:
            raise AssemblyError(self.line, "missing expression")
        value = self._binary(0)
        if self.pos != len(self.tokens):
            raise AssemblyError(self.line, f"unexpected {self.tokens[self.pos]!r} in expression")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _binary(self, level: int) -> int:
        if level == len(self._LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        while self._peek() in self._LEVELS[level]:
            op = self.tokens[self.pos]
            self.pos += 1
            right = self._binary(level + 1)
            left = self._apply(op, left, right)
        return left

    def _apply(self, op: str, x: int, y: int) -> int:
        if op in ("/", "%") and y == 0:
            raise AssemblyError(self.line, "division by zero in expression")
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            q = abs(x) // abs(y)
            return q if (x >= 0) == (y >= 0) else -q
        if op == "%":
            r = abs(x) % abs(y)
            return r if x >= 0 else -r
        if op == "==":
            return int(x == y)
        if op == "!=":
            return int(x != y)
        if op == "<":
            return int(x < y)
        if op == ">":
            return int(x > y)
        if op == "<=":
            return int(x <= y)
        if op == ">=":
            return int(x >= y)
        if op == "&&":
            return int(bool(x) and bool(y))
        return int(bool(x) or bool(y))

    def _unary(self) -> int:
        tok = self._peek()
        if tok is None:
            raise AssemblyError(self.line, "expression ends too early")
        self.pos += 1
        if tok == "-":
            return -self._unary()
        if tok == "+":
            return self._unary()
        if tok == "!":
            return int(not self._unary())
        if tok == "(":
            value = self._binary(0)
            if self._peek() != ")":
                raise AssemblyError(self.line, "missing ')' in expression")
            self.pos += 1
            return value
        if tok.isdigit():
            if len(tok) > 18:
                raise AssemblyError(self.line, f"number {tok} is too large")
            return int(tok)
        if _is_name(tok):
            raise AssemblyError(self.line, f"unknown symbol {tok!r}")
        raise AssemblyError(self.line, f"unexpected {tok!r} in expression")


def _default_modifier(opcode: str, a_mode: str, b_mode: str) -> str:
    if opcode in ("DAT", "NOP"):
        return "F"
    if opcode in ("MOV", "CMP", "SEQ", "SNE"):
        return "AB" if a_mode == "#" else "B" if b_mode == "#" else "I"
    if opcode in ("ADD", "SUB", "MUL", "DIV", "MOD"):
        return "AB" if a_mode == "#" else "B" if b_mode == "#" else "F"
    if opcode in ("SLT", "LDP", "STP"):
        return "AB" if a_mode == "#" else "B"
    return "B"


class _Assembler:
    def __init__(
        self,
        source: str,
        coresize: int,
        max_length: int,
        processes: int,
        cycles: int,
        min_distance: int,
        rounds: int,
        pspace_size: int | None,
        warriors: int,
    ) -> None:
        self.source = source
        self.coresize = coresize
        self.max_length = max_length
        self.name = ""
        self.author = ""
        self.asserts: list[tuple[int, list[str]]] = []
        self.equ: dict[str, list[str]] = {}
        if pspace_size is None:
            pspace_size = next(coresize // i for i in range(16, 0, -1) if coresize % i == 0)
        self.predef = {
            "CORESIZE": coresize,
            "MAXPROCESSES": processes,
            "MAXCYCLES": cycles,
            "MAXLENGTH": max_length,
            "MINDISTANCE": min_distance,
            "VERSION": PMARS_VERSION,
            "WARRIORS": warriors,
            "ROUNDS": rounds,
            "PSPACESIZE": pspace_size,
        }

    # -- pass 1: comments, ;redcode, END -------------------------------------------
    def _lines(self) -> list[_Line]:
        raw = self.source.splitlines()
        first = 0
        for i, text in enumerate(raw):
            if text.strip().lower().startswith(";redcode"):
                first = i
                break
        lines: list[_Line] = []
        for i in range(first, len(raw)):
            number = i + 1
            text = raw[i]
            code, _, comment = text.partition(";")
            if not code.strip() and comment:
                self._comment(comment, number)
            tokens = _tokenize(code, number)
            if tokens:
                lines.append(_Line(number, tokens))
                if tokens[0].upper() == "END" or (
                    len(tokens) > 1
                    and _split_opcode(tokens[0]) is None
                    and any(t.upper() == "END" for t in tokens[1:2])
                ):
                    break
        return lines

    def _comment(self, comment: str, number: int) -> None:
        word, _, rest = comment.strip().partition(" ")
        word = word.lower()
        if word == "name" and not self.name:
            self.name = rest.strip()
        elif word == "author" and not self.author:
            self.author = rest.strip()
        elif word == "assert":
            self.asserts.append((number, _tokenize(rest.partition(";")[0], number)))

    # -- pass 2: labels, EQU, FOR/ROF ------------------------------------------------
    def _split_labels(self, line: _Line) -> tuple[list[str], list[str]]:
        labels: list[str] = []
        toks = line.tokens
        i = 0
        while i < len(toks) and _is_name(toks[i]) and _split_opcode(toks[i]) is None:
            if toks[i] in self.equ and not labels:
                break  # a line starting with an EQU name: expanded later
            labels.append(toks[i])
            i += 1
            if i < len(toks) and toks[i] == ":":
                i += 1
        return labels, toks[i:]

    def _collect_equ(self, lines: list[_Line]) -> list[_Line]:
        rest: list[_Line] = []
        for line in lines:
            labels, body = self._split_labels(line)
            if body and body[0].upper() == "EQU":
                if not labels:
                    raise AssemblyError(line.number, "EQU without a label")
                for label in labels:
                    if label in self.equ or label in self.predef:
                        raise AssemblyError(line.number, f"{label!r} is defined twice")
                    self.equ[label] = body[1:]
                continue
            rest.append(line)
        return rest

    def _expand_for(self, lines: list[_Line], depth: int = 0) -> list[_Line]:
        out: list[_Line] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            labels, body = self._split_labels(line)
            if body and body[0].upper() == "FOR":
                end, nest = i + 1, 1
                while end < len(lines):
                    _, b = self._split_labels(lines[end])
                    if b and b[0].upper() == "FOR":
                        nest += 1
                    elif b and b[0].upper() == "ROF":
                        nest -= 1
                        if nest == 0:
                            break
                    end += 1
                if end >= len(lines):
                    raise AssemblyError(line.number, "FOR without ROF")
                count = self._evaluate(body[1:], line.number, 0, {})
                if count < 0 or count > MAX_EXPANDED_LINES:
                    raise AssemblyError(line.number, f"FOR count {count} out of range")
                counter = labels[-1] if labels else None
                block = lines[i + 1 : end]
                for k in range(1, count + 1):
                    copies = [
                        _Line(b.number, self._substitute_counter(self._for_text(b), counter, k))
                        for b in block
                    ]
                    out.extend(self._expand_for(copies, depth + 1))
                    if len(out) > MAX_EXPANDED_LINES:
                        raise AssemblyError(line.number, "FOR expands to too many lines")
                i = end + 1
                continue
            if body and body[0].upper() == "ROF":
                raise AssemblyError(line.number, "ROF without FOR")
            out.append(line)
            i += 1
        return out

    def _for_text(self, line: _Line) -> list[str]:
        """A FOR body line with its EQU names expanded, so that a counter inside EQU
        text (``x EQU a&i``) is replaced too, as pMARS does."""
        if not any(t == "&" for t in self._substitute(line.tokens, line.number)):
            return line.tokens
        _, body = self._split_labels(line)
        prefix = line.tokens[: len(line.tokens) - len(body)]
        return prefix + self._substitute(body, line.number)

    @staticmethod
    def _substitute_counter(tokens: list[str], counter: str | None, k: int) -> list[str]:
        if counter is None:
            return list(tokens)
        out: list[str] = []
        i = 0
        text = f"{k:02d}"
        while i < len(tokens):
            tok = tokens[i]
            if tok == "&" and out and i + 1 < len(tokens) and tokens[i + 1] == counter:
                out[-1] = out[-1] + text
                i += 2
                continue
            out.append(text if tok == counter else tok)
            i += 1
        return out

    # -- pass 3: EQU substitution and instruction parsing --------------------------
    def _substitute(self, tokens: list[str], line: int, seen: tuple[str, ...] = ()) -> list[str]:
        out: list[str] = []
        for tok in tokens:
            if tok in self.equ:
                if tok in seen:
                    raise AssemblyError(line, f"EQU {tok!r} refers to itself")
                out.extend(self._substitute(self.equ[tok], line, (*seen, tok)))
            else:
                out.append(tok)
        return out

    def _evaluate(
        self,
        tokens: list[str],
        line: int,
        index: int,
        labels: dict[str, int],
        absolute: bool = False,
    ) -> int:
        resolved: list[str] = []
        for tok in self._substitute(tokens, line):
            if _is_name(tok):
                if tok == "CURLINE":
                    value = index
                elif tok in self.predef:
                    value = self.predef[tok]
                elif tok in labels:
                    value = labels[tok] if absolute else labels[tok] - index
                else:
                    raise AssemblyError(line, f"unknown symbol {tok!r}")
                if value < 0:
                    resolved.extend(["(", "-", str(-value), ")"])
                else:
                    resolved.append(str(value))
            else:
                resolved.append(tok)
        return _Expr(resolved, line).parse()

    def assemble(self) -> Warrior:
        if len(self.source) > MAX_SOURCE_CHARS:
            raise AssemblyError(0, f"source longer than {MAX_SOURCE_CHARS} characters")
        lines = self._expand_for(self._collect_equ(self._lines()))
        # statements: (line, labels, opcode, modifier, a_tokens, b_tokens)
        statements: list[tuple[int, str, str | None, list[str], list[str] | None]] = []
        labels: dict[str, int] = {}
        pending: list[tuple[str, int]] = []
        org: tuple[int, list[str]] | None = None
        end: tuple[int, list[str]] | None = None
        pin: tuple[int, list[str]] | None = None
        for line in lines:
            toks = (
                self._substitute(line.tokens, line.number)
                if line.tokens[0] in self.equ
                else line.tokens
            )
            line = _Line(line.number, toks)
            names, body = self._split_labels(line)
            pending.extend((n, line.number) for n in names)
            if not body:
                continue
            opcode = _split_opcode(body[0])
            if opcode is None:
                # "FOO 1, 2": FOO was taken for a label; it is the opcode that is wrong
                bad = names[-1] if names and not _is_name(body[0]) else body[0]
                raise AssemblyError(
                    line.number, f"unknown opcode {bad!r}; allowed: {', '.join(OPCODES)}"
                )
            args = body[1:]
            if opcode in ("ORG", "END", "PIN"):
                if opcode == "ORG":
                    org = (line.number, args)
                elif opcode == "PIN":
                    pin = (line.number, args)
                elif args:
                    end = (line.number, args)
                for name, n in pending:
                    self._define(labels, name, len(statements), n)
                pending = []
                if opcode == "END":
                    break
                continue
            for name, n in pending:
                self._define(labels, name, len(statements), n)
            pending = []
            modifier: str | None = None
            if args and args[0] == ".":
                if len(args) < 2 or args[1].upper() not in MODIFIERS:
                    got = args[1] if len(args) > 1 else ""
                    raise AssemblyError(
                        line.number, f"unknown modifier {got!r}; allowed: {', '.join(MODIFIERS)}"
                    )
                modifier = args[1].upper()
                args = args[2:]
            if "," in args:
                k = args.index(",")
                a_toks, b_toks = args[:k], args[k + 1 :]
                if "," in b_toks:
                    raise AssemblyError(line.number, "more than two operands")
                if not b_toks:
                    raise AssemblyError(line.number, "missing B operand after ','")
            else:
                a_toks, b_toks = args, None
            if not a_toks:
                raise AssemblyError(line.number, f"{opcode} needs an operand")
            statements.append((line.number, opcode, modifier, a_toks, b_toks))
            if len(statements) > self.max_length:
                raise AssemblyError(
                    line.number, f"warrior longer than max_length={self.max_length} instructions"
                )
        for name, n in pending:
            self._define(labels, name, len(statements), n)
        if not statements:
            raise AssemblyError(0, "no instructions")
        instructions = [
            self._instruction(index, number, op, mod, a, b, labels)
            for index, (number, op, mod, a, b) in enumerate(statements)
        ]
        start = 0
        if org is not None:
            start = self._evaluate(org[1], org[0], 0, labels, absolute=True) % self.coresize
        if end is not None:
            value = self._evaluate(end[1], end[0], 0, labels, absolute=True)
            if value:
                start = value % self.coresize
        if not 0 <= start < len(instructions):
            raise AssemblyError(
                0, f"start offset {start} is outside the warrior (0..{len(instructions) - 1})"
            )
        pin_value = None
        if pin is not None:
            pin_value = self._evaluate(pin[1], pin[0], 0, labels, absolute=True)
        for number, toks in self.asserts:
            if not self._evaluate(toks, number, 0, labels, absolute=True):
                raise AssemblyError(number, "assertion failed")
        return Warrior(tuple(instructions), start, self.name, self.author, pin_value)

    def _define(self, labels: dict[str, int], name: str, index: int, number: int) -> None:
        if name in labels or name in self.predef or name in self.equ:
            raise AssemblyError(number, f"label {name!r} is defined twice")
        labels[name] = index

    def _operand(
        self, toks: list[str], number: int, index: int, labels: dict[str, int]
    ) -> tuple[str, int]:
        toks = self._substitute(toks, number)
        mode = "$"
        if toks and toks[0] in MODES:
            mode = toks[0]
            toks = toks[1:]
        value = self._evaluate(toks, number, index, labels)
        return mode, value % self.coresize

    def _instruction(
        self,
        index: int,
        number: int,
        opcode: str,
        modifier: str | None,
        a_toks: list[str],
        b_toks: list[str] | None,
        labels: dict[str, int],
    ) -> Instruction:
        a_mode, a_value = self._operand(a_toks, number, index, labels)
        if b_toks is None:
            if opcode == "DAT":
                b_mode, b_value = a_mode, a_value
                a_mode, a_value = "#", 0
            elif opcode in ("JMP", "SPL", "NOP"):
                b_mode, b_value = "$", 0
            else:
                raise AssemblyError(number, f"{opcode} needs two operands")
        else:
            b_mode, b_value = self._operand(b_toks, number, index, labels)
        if modifier is None:
            modifier = _default_modifier(opcode, a_mode, b_mode)
        return Instruction(opcode, modifier, a_mode, a_value, b_mode, b_value)


def assemble(
    source: str,
    coresize: int = 8000,
    max_length: int = 100,
    processes: int = 8000,
    cycles: int = 80000,
    min_distance: int = 100,
    rounds: int = 1,
    pspace_size: int | None = None,
    warriors: int = 2,
) -> Warrior:
    """Assemble Redcode source into a :class:`Warrior`; the keyword arguments set the
    predefined constants (CORESIZE, MAXLENGTH, ...) as pMARS's command line does."""
    if coresize < 2:
        raise AssemblyError(0, f"coresize must be >= 2, got {coresize}")
    if max_length < 1:
        raise AssemblyError(0, f"max_length must be >= 1, got {max_length}")
    return _Assembler(
        source, coresize, max_length, processes, cycles, min_distance, rounds, pspace_size, warriors
    ).assemble()
