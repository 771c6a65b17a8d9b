"""ICWS'94 Redcode assembler that reads source exactly as pMARS 0.9.2 does.

Every hill warrior was tuned against pMARS, so by default this assembler is a port of
pMARS's own (``asm.c``, ``token.c`` and ``eval.c``), quirks included. The source is
tokenised and rewritten as text, never evaluated as code. pMARS works in three steps,
and so does this module:

1. *Reading.* Lines end at ``\\n`` or ``\\r``; a line ending in ``\\`` continues on the
   next. Text before the first ``;redcode`` line is dropped and a second ``;redcode``
   line ends the warrior. ``;name``, ``;author`` (the last one wins) and ``;assert`` are
   read from comment lines; other comments are removed.
2. *Expansion* (pMARS's pass 1), line by line: labels (up to 7 per line, each
   optionally followed by ``:``), ``EQU`` (text substitution: ``x EQU 2+3`` makes
   ``x*2`` read ``2+3*2``; every pending label, including one alone on an earlier line,
   takes the same text; following lines that start with ``EQU`` continue it),
   ``FOR n`` ... ``ROF`` (the label written last before ``FOR`` is the counter, the
   others label the next instruction; ``&i`` appends the two-digit count; a count of 0
   or less skips the block; a missing ``ROF`` only warns), ``CURLINE``, the predefined
   constants (CORESIZE, MAXPROCESSES, MAXCYCLES, MAXLENGTH, MINDISTANCE, ROUNDS,
   PSPACESIZE, WARRIORS, VERSION), and ``END``, which stops the warrior. A label defined
   a second time makes pMARS drop that whole line, with a warning. Known labels are
   written as numbers relative to the current instruction (absolute in ORG, END and PIN);
   pMARS writes source text back without most blanks, so ``DAT 1 2`` reads ``DAT 12``.
3. *Encoding* (pass 2): opcode, optional modifier (the ICWS'94 default when missing:
   DAT/NOP ``.F``; MOV/CMP/SEQ/SNE ``.AB`` if A is immediate, ``.B`` if B is immediate,
   else ``.I``; ADD/SUB/MUL/DIV/MOD the same with ``.F``; SLT/LDP/STP ``.AB`` or ``.B``;
   JMP/JMZ/JMN/DJN/SPL ``.B``), the modes ``# $ * @ { < } >`` (``$`` when none is given),
   one operand (DAT puts it in B with A = ``#0``; JMP, SPL and NOP get B = ``$0``; any
   other opcode is an error). Expressions go through a port of pMARS's evaluator, which
   has C's operators (``* / %``, ``+ -``, comparisons, ``&&``, ``||``, unary ``- + !``,
   64-bit integers, division toward zero) but *not* C's grouping when a ``*``, ``/`` or
   ``%`` term is followed by ``+``/``-``: pMARS reads ``10-2*3-1`` as ``10-(2*3-1)`` = 5
   and ``1-2*3+4`` as ``1-(2*3+4)`` = -9, and it refuses ``10-3*0==1`` (an ``==`` after
   such a term is lost). Single letters that are not labels are pMARS's
   registers (``a=5`` assigns). ``ORG`` sets the start; ``END n`` sets it only when no
   ORG gave a non-zero start (pMARS keeps ORG's and warns); a start outside the code is
   accepted with a warning, and the first process starts there.

``strict_icws94=True`` reads the same language but follows the ICWS'94 draft (Doligez &
Durham 1994) where pMARS departs from it: C grouping of ``+ -`` against ``* / %``; ORG's
start whenever an ORG is present; a start outside the code and a label defined twice are
errors.

Deviations from pMARS, all of them inputs on which pMARS itself misbehaves: a number of
20 or more digits (pMARS overflows a buffer), ``LONG_MIN / -1`` (pMARS crashes) and more
than 100,000 expanded lines are errors here; a source with no instructions is refused
(pMARS warns and loads nothing). Every error is an :class:`AssemblyError` naming the
source line and the reason; pMARS's warnings go to the ``warnings`` list when one is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redqueen.games.corewar.redcode import (
    MODIFIERS,
    OPCODES,
    AssemblyError,
    Instruction,
    Warrior,
)

PMARS_VERSION = 92
MAX_SOURCE_CHARS = 1_000_000
MAX_EXPANDED_LINES = 100_000
MAX_INSTRUCTIONS = 1000  # pMARS's MAXINSTR
_LINE_CHARS = 256  # pMARS's MAXALLCHAR: longer lines are split, longer expansions refused
_SLOW_NORMALIZE = 10**6  # pMARS reduces a field by repeated subtraction of CORESIZE
SLOW_VALUE_WARNING = "value far outside the core: pMARS takes very long to reduce it"
_MAX_NOTES = 9  # pMARS's ERRMAX
_MAX_LABELS = 7  # pMARS's GRPMAX labels on one line
_PSEUDO = ("ORG", "END", "PIN")

# token kinds, as pMARS's get_token() classifies them
_NONE, _NUMB, _CHAR, _EXPR, _ADDR, _APND, _COMM, _FSEP, _MODF, _MISC = range(10)
_SPACE = " \t\n\v\f\r"
_DIGITS = "0123456789"
_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_EXPR_CHARS = "()/+-%!="
_ADDR_CHARS = "#$@<>*{}"

# what trav2() returns: nothing yet, labels so far, an expression, a comment, a
# pseudo-op's operand, a finished line, a FOR block, a ROF, a dropped line
_SNIL, _SLBL, _SVAL, _SCOM, _SPSE, _SFOR, _SROF, _SERR = 0, 1, 2, 3, 4, 5, 6, -1

# automaton states of pass 2
_S_OP, _S_MOD_ADDR_EXP, _S_MODF, _S_ADDR_EXP_A, _S_EXP_FS, _S_ADDR_EXP_B, _S_EXPR = range(7)

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _get_token(text: str, pos: int) -> tuple[int, str, int]:
    """pMARS's get_token(): (kind, token, position after it)."""
    n = len(text)
    while pos < n and text[pos] in _SPACE:
        pos += 1
    if pos >= n:
        return _NONE, "", pos
    ch = text[pos]
    if ch in _DIGITS:
        end = pos
        while end < n and text[end] in _DIGITS:
            end += 1
        return _NUMB, text[pos:end], end
    if ch in _ALPHA or ch == "_":
        end = pos
        while end < n and (text[end] in _ALPHA or text[end] in _DIGITS or text[end] == "_"):
            end += 1
        return _CHAR, text[pos:end], end
    nxt = text[pos + 1] if pos + 1 < n else ""
    if ch in _EXPR_CHARS:
        return _EXPR, ch, pos + 1
    if ch in _ADDR_CHARS:
        return _ADDR, ch, pos + 1
    if ch == "&":
        return (_EXPR, "&&", pos + 2) if nxt == "&" else (_APND, "&", pos + 1)
    if ch == ";":
        return _COMM, ch, pos + 1
    if ch == ",":
        return _FSEP, ch, pos + 1
    if ch == ".":
        return _MODF, ch, pos + 1
    if ch == "|" and nxt == "|":
        return _EXPR, "||", pos + 2
    return _MISC, ch, pos + 1


def _spaced(text: str, pos: int) -> bool:
    return pos < len(text) and text[pos] in _SPACE


# ----------------------------------------------------------------------- expressions

_PRECEDENCE = {"*": 5, "/": 5, "%": 5, "+": 4, "-": 4, ">": 3, "<": 3, "==": 3, "!=": 3,
               ">=": 3, "<=": 3, "&&": 2, "||": 1}  # fmt: skip
_IDENT = "ident"  # pMARS's right-identity operator, used to start an evaluation


class _Evaluator:
    """pMARS's eval_expr() over one expression string (64-bit, C semantics).

    ``strict`` keeps pMARS's tokens and operators but groups them with C precedence."""

    def __init__(self, text: str, registers: dict[str, int], strict: bool) -> None:
        self.text = text
        self.registers = registers
        self.strict = strict
        self.error: str | None = None
        self.overflow = False
        self.saved = ""  # pMARS's saveOper

    def run(self) -> int:
        if self.strict:
            pos, value = self._binary(0, 1)
        else:
            pos, value = self._eval(-1, 0, _IDENT, 0)
        if pos < len(self.text):
            self._fail(f"unexpected {self.text[pos]!r} in expression")
        return value

    def _fail(self, reason: str) -> None:
        if self.error is None:
            self.error = reason

    def _char(self, pos: int) -> str:
        return self.text[pos] if pos < len(self.text) else ""

    def _skip(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos] in _SPACE:
            pos += 1
        return pos

    def _wrap(self, value: int) -> int:
        if not _INT64_MIN <= value <= _INT64_MAX:
            self.overflow = True
            value = (value - _INT64_MIN) % 2**64 + _INT64_MIN
        return value

    def _calc(self, x: int, y: int, op: str) -> int:
        if op == "+":
            return self._wrap(x + y)
        if op == "-":
            return self._wrap(x - y)
        if op == "*":
            return self._wrap(x * y)
        if op in ("/", "%"):
            if y == 0:
                self._fail("division by zero in expression")
                return 0
            if x == _INT64_MIN and y == -1:
                raise AssemblyError(0, "LONG_MIN / -1 in expression (pMARS crashes on it)")
            q = abs(x) // abs(y)
            q = q if (x >= 0) == (y >= 0) else -q
            return q if op == "/" else x - q * y
        if op == "&&":
            return int(bool(x) and bool(y))
        if op == "||":
            return int(bool(x) or bool(y))
        if op in ("==", "!=", "<", ">", "<=", ">="):
            return int(
                {"==": x == y, "!=": x != y, "<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y}[op]
            )
        if op == _IDENT:
            return y
        self._fail(f"unexpected {op!r} in expression")
        return 0

    def _getop(self, pos: int) -> tuple[int, str]:
        ch, nxt = self._char(pos), self._char(pos + 1)
        if ch in "&|=!":
            if nxt == ("=" if ch in "=!" else ch):
                return pos + 2, ch + nxt
            return pos + 2, "?"  # pMARS leaves its operator unset: a bad expression
        if ch in "<>":
            return (pos + 2, ch + "=") if nxt == "=" else (pos + 1, ch)
        return pos + 1, ch

    def _getval(self, pos: int) -> tuple[int, int]:
        pos = self._skip(pos)
        ch = self._char(pos)
        if ch == "(":
            if self.strict:
                pos, value = self._binary(pos + 1, 1)
            else:
                pos, value = self._eval(-1, 0, _IDENT, pos + 1)
            if self._char(pos) != ")":
                self._fail("missing ')' in expression")
            return pos + 1, value
        if ch == "-":
            pos, value = self._getval(pos + 1)
            return pos, self._wrap(-value)
        if ch == "!":
            pos, value = self._getval(pos + 1)
            return pos, int(not value)
        if ch == "+":
            return self._getval(pos + 1)
        if ch and ch in _ALPHA:
            return self._getreg(pos + 1, ch.upper())
        end = pos
        while end < len(self.text) and self.text[end] in _DIGITS:
            end += 1
        if end == pos:
            self._fail("expression ends too early" if not ch else f"unexpected {ch!r}")
            return pos, 0
        if end - pos >= 20:
            raise AssemblyError(0, f"number {self.text[pos:end]} is too long")
        return end, min(int(self.text[pos:end]), _INT64_MAX)

    def _getreg(self, pos: int, name: str) -> tuple[int, int]:
        pos = self._skip(pos)
        if self._char(pos) == "=" and self._char(pos + 1) != "=":
            if self.strict:
                pos, value = self._binary(pos + 1, 1)
            else:
                pos, value = self._eval(-1, 0, _IDENT, pos + 1)
            self.registers[name] = value
            return pos, value
        return pos, self.registers.get(name, 0)

    def _eval(self, prev: int, val1: int, op1: str, pos: int) -> tuple[int, int]:
        """pMARS's eval(), line for line: its grouping is not C's."""
        pos, val2 = self._getval(pos)
        pos = self._skip(pos)
        if self._char(pos) in ("", ")"):
            return pos, self._calc(val1, val2, op1)
        pos, op2 = self._getop(pos)
        self.saved = ""
        prec1, prec2 = _PRECEDENCE.get(op1, 0), _PRECEDENCE.get(op2, 0)
        if prec1 >= prec2:
            if prec2 >= prev or prec1 <= prev:
                return self._eval(prec1, self._calc(val1, val2, op1), op2, pos)
            self.saved = op2
            return pos, self._calc(val1, val2, op1)
        pos, right = self._eval(prec1, val2, op2, pos)
        result = self._calc(val1, right, op1)
        # pMARS keeps the saved operator in a char where ``==`` is 0, so a saved
        # ``==`` reads as none saved and the rest of the expression is left over
        if self.saved not in ("", "==") and _PRECEDENCE.get(self.saved, 0) >= prev:
            pos, result = self._eval(prec2, result, self.saved, pos)
            self.saved = ""  # after the call, as pMARS does: a deeper save is lost
        return pos, result

    def _binary(self, pos: int, level: int) -> tuple[int, int]:
        """C grouping: operators of ``level`` and above, left to right."""
        pos, left = self._getval(pos)
        while True:
            pos = self._skip(pos)
            if self._char(pos) in ("", ")"):
                return pos, left
            after, op = self._getop(pos)
            prec = _PRECEDENCE.get(op, 0)
            if prec == 0:
                self._fail(f"unexpected {op!r} in expression")
                return len(self.text), left
            if prec < level:
                return pos, left
            pos, right = self._binary(after, prec + 1)
            left = self._calc(left, right, op)


# ----------------------------------------------------------------------- the assembler


@dataclass
class _Line:
    text: str
    number: int  # source line, for messages


@dataclass
class _Ref:
    """A symbol: EQU text, a FOR counter, or a label (instruction index)."""

    kind: str  # "text" | "counter" | "label"
    value: int = 0
    lines: list[_Line] = field(default_factory=list)
    visit: bool = False


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
        predefined: dict[str, int],
        strict: bool,
        warnings: list[str] | None,
    ) -> None:
        self.source = source
        self.coresize = coresize
        self.max_length = max_length
        self.strict = strict
        self.warnings = warnings
        self.name = ""
        self.author = ""
        self.symbols: dict[str, list[_Ref]] = {}
        for key, value in predefined.items():
            self._bind([key], _Ref("text", lines=[_Line(str(value), 0)]))
        self.registers: dict[str, int] = {}
        # pass 1 state
        self.pending: list[str] = []  # labels waiting for their line, newest first
        self.skip = 0  # depth of FOR blocks being skipped (count <= 0)
        self.line = 0  # instructions so far
        self.going = True  # False after END or a missing ROF
        self.dest = ""
        self.cursor: tuple[list[_Line], int] = ([], 0)
        self.out: list[_Line] = []
        self.has_assert = False
        # pass 2 state: the instruction being read (pMARS's automaton globals)
        self.opcode = ""
        self.modifier: str | None = None
        self.a_mode = self.b_mode = "$"
        self.a_expr = self.b_expr = ""
        self.fine = False
        self.last_state = _S_OP
        self.noted: set[tuple[int, str]] = set()

    # -- helpers -----------------------------------------------------------------
    def _where(self) -> int:
        lines, i = self.cursor
        return lines[i].number if 0 <= i < len(lines) else 0

    def _warn(
        self, reason: str, number: int | None = None, counts: bool = True, kind: str = ""
    ) -> None:
        """Note a warning; pMARS gives up on a warrior at its 9th warning or error tied
        to a source line, counting one per line and kind (``counts``: one pMARS ties to
        a line; ``kind`` defaults to the reason)."""
        n = self._where() if number is None else number
        if self.warnings is not None:
            self.warnings.append(f"line {n}: {reason}" if n > 0 else reason)
        if counts and n > 0:
            self.noted.add((n, kind or reason))
            if len(self.noted) >= _MAX_NOTES:
                raise AssemblyError(n, f"{_MAX_NOTES} warnings: pMARS gives up")

    def _error(self, reason: str) -> AssemblyError:
        return AssemblyError(self._where(), reason)

    def _bind(self, names: list[str], ref: _Ref) -> None:
        for name in names:
            self.symbols.setdefault(name, []).append(ref)

    def _unbind(self, names: list[str], ref: _Ref) -> None:
        for name in names:
            stack = self.symbols[name]
            stack.remove(ref)
            if not stack:
                del self.symbols[name]

    def _lookup(self, name: str) -> _Ref | None:
        stack = self.symbols.get(name)
        return stack[-1] if stack else None

    def _cat(self, text: str) -> None:
        if len(self.dest) + len(text) >= _LINE_CHARS:
            raise self._error(f"line longer than {_LINE_CHARS - 1} characters after substitution")
        self.dest += text

    def _emit(self, number: int) -> None:
        self.out.append(_Line(self.dest, number))
        if len(self.out) > MAX_EXPANDED_LINES:
            raise self._error(f"source expands to more than {MAX_EXPANDED_LINES} lines")

    def _evaluate(self, text: str, number: int) -> int:
        ev = _Evaluator(text, self.registers, self.strict)
        try:
            value = ev.run()
        except AssemblyError as err:
            raise AssemblyError(number, err.reason) from None
        if ev.error is not None:
            raise AssemblyError(number, ev.error)
        if ev.overflow:
            self._warn("arithmetic overflow in expression", number)
        return value

    def _normalize(self, value: int, number: int) -> int:
        if abs(value) > _SLOW_NORMALIZE * self.coresize:
            self._warn(SLOW_VALUE_WARNING + f" ({value})", number, counts=False)
        return value % self.coresize

    # -- reading -----------------------------------------------------------------
    def _read(self) -> list[_Line]:
        """pMARS's reading loop: physical lines (fgets of 255 characters, ``\\``
        continuation), ``;redcode`` windows, comment switches."""
        data = self.source
        pos = 0
        lines: list[_Line] = []
        number = 0
        seen_redcode = 0
        more = True
        while more:
            buf = ""
            while True:
                room = _LINE_CHARS - 1 - len(buf)
                if pos >= len(data) or room <= 0:
                    more = pos < len(data)
                    break
                end = data.find("\n", pos, pos + room)
                chunk = data[pos : end + 1] if end >= 0 else data[pos : pos + room]
                pos += len(chunk)
                for stop in "\n\r\0":
                    chunk = chunk.partition(stop)[0]
                buf += chunk
                if buf.endswith("\\"):
                    buf = buf[:-1]
                    continue
                break
            number += 1
            kind, _, i = _get_token(buf, 0)
            if kind == _COMM:
                word_kind, word, j = _get_token(buf, i)
                up = word.upper()
                if up == "REDCODE" and j == i + 7:
                    seen_redcode += 1
                    if seen_redcode == 1:
                        lines = []
                    else:
                        break
                    continue
                k = j
                while k < len(buf) and buf[k] in _SPACE:
                    k += 1
                if word_kind == _CHAR and up == "NAME":
                    self.name = buf[k:].strip()
                elif word_kind == _CHAR and up == "AUTHOR":
                    self.author = buf[k:].strip()
                elif word_kind == _CHAR and up == "ASSERT":
                    cut = buf.find(";", k)
                    lines.append(_Line(buf if cut < 0 else buf[:cut], number))
            elif kind != _NONE:
                lines.append(_Line(buf.partition(";")[0], number))
        return lines

    # -- pass 1: expansion (pMARS's trav2) ------------------------------------------
    def _trav(self, text: str, wdecl: int) -> int:
        pos = 0
        while True:
            kind, tok, nxt = _get_token(text, pos)
            if kind == _NONE:
                return wdecl
            if kind == _COMM:
                if wdecl == _SNIL and self.skip == 0:
                    _, word, after = _get_token(text, nxt)
                    if word.upper() == "ASSERT":
                        self._assert(text[after:])
                return wdecl
            if kind != _CHAR:
                if self.skip:
                    return _SNIL
                if wdecl <= _SLBL:
                    if self.pending:
                        raise self._error(
                            f"unknown opcode {self.pending[0]!r}; allowed: {', '.join(OPCODES)}"
                        )
                    raise self._error(f"unexpected {tok!r} where a label or opcode belongs")
                self._cat(tok)
                pos = nxt
                continue
            up = tok.upper()
            if up == "ROF":
                if self.skip:
                    self.skip -= 1
                elif wdecl <= _SLBL:
                    return _SROF
                else:
                    raise self._error("ROF inside an operand")
                return _SERR
            if up == "FOR":
                if self.skip:
                    self.skip += 1
                    return _SERR
                if wdecl <= _SLBL:
                    return self._for(text[nxt:])
                raise self._error("FOR inside an operand")
            if tok == "CURLINE":
                if self.skip:
                    return _SNIL
                if wdecl <= _SLBL:
                    raise self._error("CURLINE cannot be a label")
                self._cat(str(self.line) + (" " if _spaced(text, nxt) else ""))
                pos = nxt
                continue
            if up == "EQU":
                if self.skip:
                    return _SNIL
                if wdecl <= _SLBL:
                    return self._equ(text[nxt:])
                raise self._error("EQU inside an operand")
            if up in OPCODES or up in _PSEUDO:
                if self.skip:
                    return _SNIL
                if wdecl > _SLBL:
                    raise self._error(f"opcode {tok!r} inside an operand")
                end = nxt
                while end < len(text) and text[end] not in _SPACE:
                    end += 1
                self._cat(up + text[nxt:end] + (" " if _spaced(text, end) else ""))
                if self._trav(text[end:], _SVAL if up in OPCODES else _SPSE) == _SERR:
                    return _SERR
                if self.pending:
                    self._bind(self.pending, _Ref("label", self.line))
                    self.pending = []
                if up in OPCODES:
                    self.line += 1
                    if self.line > self.max_length:
                        raise self._error(
                            f"warrior longer than max_length={self.max_length} instructions"
                        )
                elif up == "END":
                    self.going = False
                return _SCOM
            if self.skip:
                pos = nxt
                wdecl = _SNIL
                continue
            while (
                nxt + 1 < len(text) and text[nxt] == "&" and text[nxt + 1] in _ALPHA
            ):  # label&counter
                _, part, nxt = _get_token(text, nxt + 1)
                ref = self._lookup(part)
                if ref is None or ref.kind != "counter":
                    raise self._error(f"cannot append {part!r}: it is not a FOR counter")
                tok += f"{ref.value:02d}"
            ref = self._lookup(tok)
            if ref is not None:
                if ref.kind == "text":
                    if ref.visit:
                        raise self._error(f"EQU {tok!r} refers to itself")
                    return self._equ_substitute(text[nxt:], wdecl, ref)
                if wdecl <= _SLBL:
                    if self.strict:
                        raise self._error(f"label {tok!r} is defined twice")
                    self._warn(
                        f"label {tok!r} is defined twice; pMARS ignores this line",
                        kind="label defined twice",
                    )
                    return _SERR
                if ref.kind == "counter":
                    value = f"{ref.value:02d}"
                elif wdecl == _SPSE:
                    value = str(ref.value)
                else:
                    value = str(ref.value - self.line)
                self._cat(value + (" " if _spaced(text, nxt) else ""))
                pos = nxt
                continue
            if wdecl <= _SLBL:
                if len(self.pending) >= _MAX_LABELS:
                    raise self._error(f"more than {_MAX_LABELS} labels on one line")
                self.pending.insert(0, tok)
                if nxt < len(text) and text[nxt] == ":":
                    nxt += 1
                pos = nxt
                wdecl = _SLBL
                continue
            self._cat(tok + (" " if _spaced(text, nxt) else ""))
            pos = nxt

    def _assert(self, text: str) -> None:
        self.dest = ""
        number = self._where()
        self._trav(text, _SVAL)
        ev = _Evaluator(self.dest, self.registers, self.strict)
        try:
            value = ev.run()
        except AssemblyError:
            ev.error = "bad"
        if ev.error is not None:
            self._warn("invalid ;assert expression, ignored", number)
            return
        self.has_assert = True
        if value == 0:
            raise AssemblyError(number, "assertion failed")

    def _equ(self, text: str) -> int:
        if not self.pending:
            self._warn("EQU without a label, ignored")
            return _SVAL
        lines, i = self.cursor
        ref = _Ref("text", lines=[_Line(text, lines[i].number)])
        self._bind(self.pending, ref)
        self.pending = []
        while i + 1 < len(lines):
            _, tok, after = _get_token(lines[i + 1].text, 0)
            if tok.upper() != "EQU":
                break
            i += 1
            ref.lines.append(_Line(lines[i].text[after:], lines[i].number))
        self.cursor = (lines, i)
        return _SVAL

    def _equ_substitute(self, rest: str, wdecl: int, ref: _Ref) -> int:
        ref.visit = True
        saved = self.cursor
        self.cursor = (ref.lines, 0)
        wdecl = self._trav(ref.lines[0].text, wdecl)
        while self.cursor[1] + 1 < len(ref.lines) and self.going:
            if self.skip == 0 and wdecl == _SCOM:
                self._emit(saved[0][saved[1]].number)
            self.cursor = (ref.lines, self.cursor[1] + 1)
            self.dest = ""
            wdecl = self._trav(ref.lines[self.cursor[1]].text, _SNIL)
        self.cursor = saved
        if rest[:1] in tuple(_SPACE) and len(self.dest) < _LINE_CHARS - 1:
            self.dest += " "
        ref.visit = False
        return self._trav(rest, wdecl)

    def _for(self, text: str) -> int:
        counter: list[str] = []
        if self.pending:
            counter = [self.pending[0]]
            if self.pending[1:]:
                self._bind(self.pending[1:], _Ref("label", self.line))
            self.pending = []
        number = self._where()
        self.dest = ""
        self._trav(text, _SVAL)
        count = self._evaluate(self.dest, number)
        if count <= 0:
            self.skip += 1
            return _SFOR
        ref = _Ref("counter", 1, visit=True)
        self._bind(counter, ref)
        lines, start = self.cursor
        limit = count & 0xFFFF  # pMARS counts in an unsigned short
        while self.going and ref.value <= limit:
            i = start
            while self.going:
                if i + 1 < len(lines):
                    i += 1
                    self.cursor = (lines, i)
                    self.dest = ""
                    r = self._trav(lines[i].text, _SNIL)
                    i = self.cursor[1]
                    if r == _SROF:
                        break
                    if r == _SCOM:
                        self._emit(lines[i].number)
                else:
                    self._warn("FOR without ROF", number, counts=False)
                    self.going = False
            ref.value += 1
        self._unbind(counter, ref)
        return _SFOR

    def _expand(self, lines: list[_Line]) -> None:
        self.cursor = (lines, 0)
        while self.cursor[1] < len(lines) and self.going:
            self.dest = ""
            r = self._trav(lines[self.cursor[1]].text, _SNIL)
            if r == _SCOM:
                self._emit(lines[self.cursor[1]].number)
            elif r == _SROF:
                raise self._error("ROF without FOR")
            self.cursor = (lines, self.cursor[1] + 1)
        if self.pending:
            self._warn(f"labels {' '.join(self.pending)} label nothing and are discarded", 0)
            self.pending = []

    # -- pass 2: encoding (pMARS's automaton) ----------------------------------------
    def _auto(self, text: str, state: int) -> None:
        self.last_state = state
        kind, tok, nxt = _get_token(text, 0)
        rest = text[nxt:]
        if state == _S_OP:
            self.fine = False
            up = tok.upper()
            if kind != _CHAR or not (up in OPCODES or up in _PSEUDO):
                raise self._error(f"unknown opcode {tok!r}; allowed: {', '.join(OPCODES)}")
            self.opcode = up
            self._auto(rest, _S_MOD_ADDR_EXP if up in OPCODES else _S_EXPR)
        elif state == _S_MODF:
            self.fine = False
            if kind == _NONE:
                return
            if kind != _CHAR or tok.upper() not in MODIFIERS:
                raise self._error(f"unknown modifier {tok!r}; allowed: {', '.join(MODIFIERS)}")
            self.modifier = tok.upper()
            self._auto(rest, _S_ADDR_EXP_A)
        elif state in (_S_MOD_ADDR_EXP, _S_ADDR_EXP_A, _S_ADDR_EXP_B):
            self.fine = False
            then = _S_EXPR if state == _S_ADDR_EXP_B else _S_EXP_FS
            if kind == _MODF and state == _S_MOD_ADDR_EXP:
                self._auto(rest, _S_MODF)
            elif kind == _ADDR:
                if state == _S_ADDR_EXP_B:
                    self.b_mode = tok
                else:
                    self.a_mode = tok
                self._auto(rest, then)
            elif kind in (_NUMB, _EXPR):
                self._auto(text, then)
            elif kind == _CHAR:
                self._symbol(tok, rest, text, state, then)
            elif kind != _NONE:
                if kind == _FSEP:
                    raise self._error("missing operand before ','")
                raise self._error(f"unexpected character {tok!r}")
        else:  # _S_EXP_FS (A expression) or _S_EXPR (B expression)
            if kind == _NONE:
                return
            if kind == _FSEP and state == _S_EXP_FS:
                self._auto(rest, _S_ADDR_EXP_B)
            elif kind == _FSEP:
                raise self._error("more than two operands")
            elif (kind == _ADDR and tok in "<>*") or kind in (_NUMB, _EXPR):
                self._append(state, tok + (" " if kind == _NUMB else ""))
                self._auto(rest, state)
            elif kind == _CHAR:
                self._symbol(tok, rest, text, state, state)
            else:
                raise self._error(f"unexpected character {tok!r}")

    def _append(self, state: int, text: str) -> None:
        if state == _S_EXP_FS:
            self.a_expr += text
        else:
            self.b_expr += text
        self.fine = True

    def _symbol(self, tok: str, rest: str, text: str, state: int, then: int) -> None:
        ref = self._lookup(tok)
        if ref is None:
            if len(tok) != 1:
                raise self._error(f"unknown symbol {tok!r}")
            if state in (_S_EXP_FS, _S_EXPR):  # a register
                self._append(state, tok)
                self._auto(rest, state)
            else:
                self._auto(text, then)
            return
        if ref.visit:
            raise self._error(f"EQU {tok!r} refers to itself")
        ref.visit = True
        if ref.kind == "text":
            self._auto(ref.lines[0].text, state)
        elif state == _S_EXPR and self.opcode in _PSEUDO:
            self._auto(str(ref.value), state)
        else:
            self._auto(str(ref.value - self.line), state)
        ref.visit = False
        self._auto(rest, state if state == _S_EXPR else self.last_state)

    def _encode(self) -> Warrior:
        if self.line == 0:
            raise AssemblyError(0, "no instructions")
        instructions: list[Instruction] = []
        start: int | None = None
        org_seen = False
        pin: int | None = None
        self.line = 0
        for out in self.out:
            self.cursor = ([out], 0)
            self.a_mode = self.b_mode = "$"
            self.modifier = None
            self.a_expr = self.b_expr = ""
            self.opcode = ""
            self._auto(out.text, _S_OP)
            opcode = self.opcode
            if opcode in _PSEUDO:
                value = self._evaluate(self.b_expr or "0", out.number)
                if opcode == "ORG":
                    start = self._normalize(value, out.number)
                    org_seen = True
                elif opcode == "PIN":
                    pin = value
                elif value:
                    if start or (self.strict and org_seen):
                        self._warn("both ORG and END give a start; END's is ignored", out.number)
                    else:
                        start = self._normalize(value, out.number)
                continue
            if not self.fine:
                raise self._error(f"{opcode} is incomplete: an operand is missing")
            a_mode, b_mode = self.a_mode, self.b_mode
            a_expr, b_expr = self.a_expr or "0", self.b_expr
            if not b_expr:
                if opcode == "DAT":
                    b_mode, b_expr, a_mode, a_expr = a_mode, a_expr, "#", "0"
                elif opcode in ("JMP", "SPL", "NOP"):
                    b_mode, b_expr = "$", "0"
                else:
                    raise self._error(f"{opcode} needs two operands")
            modifier = self.modifier or _default_modifier(opcode, a_mode, b_mode)
            a_value = self._normalize(self._evaluate(a_expr, out.number), out.number)
            b_value = self._normalize(self._evaluate(b_expr, out.number), out.number)
            instructions.append(Instruction(opcode, modifier, a_mode, a_value, b_mode, b_value))
            self.line += 1
        start = start or 0
        if not 0 <= start < len(instructions):
            reason = f"start offset {start} is outside the warrior (0..{len(instructions) - 1})"
            if self.strict:
                raise AssemblyError(0, reason)
            self._warn(reason + "; pMARS starts there anyway", 0)
        return Warrior(tuple(instructions), start, self.name, self.author, pin)

    def assemble(self) -> Warrior:
        if len(self.source) > MAX_SOURCE_CHARS:
            raise AssemblyError(0, f"source longer than {MAX_SOURCE_CHARS} characters")
        self._expand(self._read())
        if self.line > MAX_INSTRUCTIONS:
            raise AssemblyError(0, f"more than {MAX_INSTRUCTIONS} instructions")
        if not self.has_assert:
            self._warn("no ;assert: the warrior may not work with these settings", 0)
        return self._encode()


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
    strict_icws94: bool = False,
    warnings: list[str] | None = None,
) -> Warrior:
    """Assemble Redcode source into a :class:`Warrior`, as pMARS 0.9.2 does.

    The keyword arguments set the predefined constants (CORESIZE, MAXLENGTH, ...) as
    pMARS's command line does; ``strict_icws94=True`` follows the ICWS'94 draft where
    pMARS departs from it (see the module docstring); pMARS's warnings are appended to
    ``warnings`` when a list is given."""
    if coresize < 2:
        raise AssemblyError(0, f"coresize must be >= 2, got {coresize}")
    if max_length < 1:
        raise AssemblyError(0, f"max_length must be >= 1, got {max_length}")
    if pspace_size is None:
        pspace_size = next(coresize // i for i in range(16, 0, -1) if coresize % i == 0)
    predefined = {
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
    return _Assembler(source, coresize, max_length, predefined, strict_icws94, warnings).assemble()
