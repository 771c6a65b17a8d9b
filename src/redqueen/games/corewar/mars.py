"""MARS: the Memory Array Redcode Simulator, ICWS'94, matching pMARS 0.9.2 cycle for cycle.

The core is one array with a row of three unsigned integers per cell, as exhaust's
``insn_t`` (Pihlaja's exhaust, a C MARS faster than pMARS): the instruction word
(opcode, modifier and both modes, decoded once per fetch), the A value and the B value;
16-bit while the core has at most 65536 cells, so a standard core of 8000 cells takes
48 KB, as exhaust's does. Each warrior has its own circular process queue; warriors
take turns, one instruction each, in a ring that starts at a different warrior every
round (round r starts with warrior r mod W, as pMARS does). The inner loop is one
numba-compiled function that plays all rounds of a battle; an instruction with two direct
operands (most executed ones) skips the addressing-mode switches, and sums and
differences wrap with a compare instead of a division.

Unlike exhaust, a round is never cut short when a tie has become certain (its
``sim_proper`` stops once every living warrior has more processes than turns left): the
turns it skips still spawn processes, write P-space and cover memory, all of which a
:class:`BattleResult` reports.

Order of evaluation is pMARS's (which implements the ICWS'94 draft, Doligez & Durham
1994): the A operand is evaluated completely, pre-decrement and post-increment included,
and its values are latched before the B operand is evaluated; the instruction acts on the
latched values and writes to the B target. All arithmetic is modulo the core size.
DIV/MOD by zero kill the process (after the other half of a .F/.X division is done).
Cycle counting is pMARS's too: a round lasts ``cycles * W`` instruction turns, and when a
warrior dies the remaining budget is scaled to the warriors still alive, so a tie is
declared after ``cycles`` full cycles. One deviation: when a warrior dies on the very
last turn of a round with three or more warriors still alive, pMARS's budget drops below
zero and its loop never ends (until all but one warrior die); here the round ends there.

P-space (``LDP``/``STP``) is kept across rounds; cell 0 holds the last round's result
(0 if the warrior died, else the number of survivors; ``coresize-1`` before round 1).
Warriors with the same PIN share P-space, except cell 0, which is each warrior's own.
Two pMARS 0.9.2 quirks are followed by default, since every P-space warrior was tuned
against them (``pspace_init`` and ``set_pspace`` in pMARS's ``pmars.c`` and ``sim.c``):
an ``STP`` to cell 0 stores into the warrior's last-result cell (an ``LDP`` from cell 0
later in the round reads it back; the round's result overwrites it at the end), and a
warrior without PIN counts as ``PIN 0`` for the warriors with a PIN *before* it, so a
first warrior with ``PIN 0`` shares P-space with a later one that has no PIN (pMARS's
manual says a warrior without PIN is private). ``strict_icws94=True`` follows the
manual instead: cell 0 ignores ``STP`` and only equal PINs share.

A warrior may start outside its own code (pMARS loads ``ORG 5`` on a one-line warrior
with a warning); its first process then starts at that offset from its load address,
modulo the core size (pMARS does not reduce it, and runs off the end of its core array
when load address + start >= CORESIZE; redqueen wraps around).

Placement is pMARS's: warrior 0 at address 0, the others at random offsets at least
``min_distance`` apart, drawn from the Park-Miller generator pMARS uses, so a battle with
``first_position=P`` reproduces ``pmars -F P`` round for round.

Besides wins, losses and ties this records, per warrior, the Digital Red Queen
(Kumar et al., Sakana AI 2026) survival-share fitness (each cycle a living warrior earns
1/alive, normalised by the cycle limit, so the shares of a round sum to 1 when someone
survives) and two behavioural descriptors: processes spawned (successful SPLs) and memory
coverage (distinct cells the warrior wrote, in/decremented or executed), both averaged
over rounds.

One round can be *watched* (:mod:`redqueen.games.corewar.trace`): the kernel then also
records, every so many cycles, the cells written since the last record and each
warrior's process queue. That code is compiled only into the watching version of the
kernel (numba prunes it when no buffers are given), so plain battles run as before.
"""

# The numba kernel spells out comparisons (a == X or a == Y) on purpose: it compiles to
# plain integer tests.
# ruff: noqa: SIM108, SIM109

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from redqueen.errors import InvalidParameterError
from redqueen.games.corewar.redcode import MODES, MODIFIERS, OPCODES, Instruction, Warrior

_OP = {name: i for i, name in enumerate(OPCODES)}
_MOD = {name: i for i, name in enumerate(MODIFIERS)}
_MODE = {name: i for i, name in enumerate(MODES)}

# opcode numbers as the kernel sees them
DAT, MOV, ADD, SUB, MUL, DIV, MOD, JMP, JMZ, JMN, DJN, SPL = range(12)
SLT, CMP, SEQ, SNE, NOP, LDP, STP = range(12, 19)
mA, mB, mAB, mBA, mF, mX, mI = range(7)
IMM, DIR, AIND, BIND, APRE, BPRE, APOST, BPOST = range(8)
_DAT_F = DAT * 8 + mF
# A core cell is a row of three unsigned integers (exhaust's insn_t): the instruction
# word, opcode*8+modifier << 6 | B mode << 3 | A mode, then the A and B values.
_EMPTY_WORD = _DAT_F << 6 | DIR << 3 | DIR
_DIR_DIR = DIR << 3 | DIR
_MOV_A, _MOV_B, _MOV_AB, _MOV_BA, _MOV_F, _MOV_X, _MOV_I = range(MOV * 8, MOV * 8 + 7)
_DIE, _QUEUED = np.int64(-1), np.int64(-2)  # a process's fate other than an address
_HEAD, _TAIL, _TASKS, _NEXT = range(4)  # a warrior's row in the kernel's ``proc``
_u = np.uint64
"""The kernel indexes arrays with unsigned integers (``_u(i)``) wherever it knows the
index to be in range: numba then leaves out its negative-index wraparound, which took a
third of the kernel's time."""


def _encode(instructions: Sequence[Instruction]) -> np.ndarray:
    """(n, 5) int64 array: opcode*8+modifier, A mode, A value, B mode, B value."""
    out = np.zeros((len(instructions), 5), dtype=np.int64)
    for i, ins in enumerate(instructions):
        out[i] = (
            _OP[ins.opcode] * 8 + _MOD[ins.modifier],
            _MODE[ins.a_mode],
            ins.a_value,
            _MODE[ins.b_mode],
            ins.b_value,
        )
    return out


def _cell_type(coresize: int) -> np.dtype:
    """The kernel's integer type for a core's cells and addresses: the narrowest unsigned
    one that holds every address (a core of 8000 cells then takes 48 KB, as exhaust's)."""
    return np.dtype(np.uint16 if coresize <= 1 << 16 else np.uint32)


def _decode(row: np.ndarray) -> Instruction:
    code = int(row[0])
    return Instruction(
        OPCODES[code >> 3],
        MODIFIERS[code & 7],
        MODES[int(row[1])],
        int(row[2]),
        MODES[int(row[3])],
        int(row[4]),
    )


@numba.njit(cache=True, nogil=True)
def _mark(touched: np.ndarray, cover: np.ndarray, w: int, r: int, addr: int) -> None:
    if touched[_u(w), _u(addr)] == 0:
        touched[_u(w), _u(addr)] = 1
        cover[_u(r), _u(w)] += 1


@numba.njit(cache=True, nogil=True, inline="always")
def _operand(
    core: np.ndarray,
    M: int,
    pc: np.int64,
    mode: int,
    value: np.int64,
    ir_a: np.int64,
    ir_b: np.int64,
) -> tuple[np.int64, np.int64, np.int64, np.int64]:
    """Evaluate one operand of the instruction at ``pc`` (``value`` is its field, ``ir_a``
    and ``ir_b`` the instruction's two fields as fetched): its address, the A and B values
    there (read before a post-increment, the '94 in-register model), and the cell whose
    field the operand decremented or incremented (-1 if none)."""
    if mode == IMM:
        return pc, ir_a, ir_b, np.int64(-1)
    addr = value + pc
    if addr >= M:
        addr -= M
    if mode == DIR:
        return addr, np.int64(core[_u(addr), 1]), np.int64(core[_u(addr), 2]), np.int64(-1)
    f = 1 if mode == AIND or mode == APRE or mode == APOST else 2  # the field followed
    t = np.int64(core[_u(addr), f])
    if mode == APRE or mode == BPRE:
        t = t - 1 if t > 0 else np.int64(M - 1)
        core[_u(addr), f] = t
    target = t + addr
    if target >= M:
        target -= M
    a = np.int64(core[_u(target), 1])
    b = np.int64(core[_u(target), 2])
    if mode == APOST or mode == BPOST:
        core[_u(addr), f] = t + 1 if t + 1 < M else 0
    elif mode != APRE and mode != BPRE:
        return target, a, b, np.int64(-1)
    return target, a, b, addr


@numba.njit(cache=True, nogil=True, inline="always")
def _push(queue: np.ndarray, proc: np.ndarray, w: int, cap: int, addr: int) -> None:
    """Append ``addr`` to warrior ``w``'s process queue (a ring of ``cap`` entries)."""
    t = proc[_u(w), _TAIL]
    queue[_u(w), _u(t)] = addr
    t += 1
    proc[_u(w), _TAIL] = t if t < cap else 0


@numba.njit(cache=True, nogil=True)
def _frame(
    frames: np.ndarray,
    changes: np.ndarray,
    queues: np.ndarray,
    used: np.ndarray,
    cycle: int,
    turns: int,
    core: np.ndarray,
    written: np.ndarray,
    queue: np.ndarray,
    proc: np.ndarray,
) -> None:
    """Append a frame of a watched round: its cycle and turns, the cells written since
    the previous frame (address, the five fields, the last writer), and each warrior's
    process queue from its head. ``used`` counts frames, change rows and queue entries;
    ``used[3]`` is set when a buffer is too small (nothing more is recorded then)."""
    f = used[0]
    c = used[1]
    q = used[2]
    n = 0
    for a in range(written.shape[0]):
        if written[a] != 0:
            n += 1
    if (
        used[3]
        or f == frames.shape[0]
        or c + n > changes.shape[0]
        or q + proc[:, _TASKS].sum() > queues.shape[0]
    ):
        used[3] = 1
        return
    for a in range(written.shape[0]):
        if written[a] != 0:
            word = core[a, 0]
            changes[c, 0] = a
            changes[c, 1] = word >> 6
            changes[c, 2] = word & 7
            changes[c, 3] = core[a, 1]
            changes[c, 4] = (word >> 3) & 7
            changes[c, 5] = core[a, 2]
            changes[c, 6] = written[a] - 1
            written[a] = 0
            c += 1
    cap = queue.shape[1]
    for w in range(proc.shape[0]):
        k = proc[w, _HEAD]
        for _i in range(proc[w, _TASKS]):
            queues[q] = queue[w, k]
            q += 1
            k += 1
            if k == cap:
                k = 0
        frames[f, 3 + w] = proc[w, _TASKS]
    frames[f, 0] = cycle
    frames[f, 1] = turns
    frames[f, 2] = c
    used[0] = f + 1
    used[1] = c
    used[2] = q


@numba.njit(cache=True, nogil=True)
def _run(
    cell_type: np.dtype,
    code: np.ndarray,
    code_start: np.ndarray,
    code_len: np.ndarray,
    entry: np.ndarray,
    positions: np.ndarray,
    coresize: int,
    cycles: int,
    maxproc: int,
    pspace: np.ndarray,
    pidx: np.ndarray,
    last_result: np.ndarray,
    stp_to_result: bool,
    track: bool,
    first_round: int,
    watch_round: int,
    every: int,
    watched: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Play every round: outcome, survival, spawned, cover and executed per round, and
    the core as the last round left it. ``cell_type`` is ``_cell_type(coresize)``."""
    nw = code_start.shape[0]
    rounds = positions.shape[0]
    M = coresize
    core = np.empty((M, 3), cell_type)  # a cell a row: word, A value, B value
    cap = maxproc + 1
    queue = np.zeros((nw, cap), cell_type)  # a ring per warrior
    proc = np.zeros((nw, 4), np.int64)  # per warrior: _HEAD, _TAIL, _TASKS, _NEXT
    alive = np.zeros(nw, np.bool_)
    psize = pspace.shape[1]
    outcome = np.zeros((rounds, nw), np.int64)  # survivors at the end if alive, else 0
    survival = np.zeros((rounds, nw), np.float64)
    spawned = np.zeros((rounds, nw), np.int64)
    cover = np.zeros((rounds, nw), np.int64)
    executed = np.zeros(rounds, np.int64)
    touched = np.zeros((nw if track else 1, M if track else 1), np.uint8)
    # Round watch_round records frames (trace.py) into the buffers ``watched`` (frames,
    # changes, queues, used: see _frame). With watched=None numba prunes the branch below
    # at compile time, ``watch`` stays False and every ``if watch`` is compiled away.
    frames = np.zeros((0, 3 + nw), np.int64)
    changes = np.zeros((0, 7), np.int32)
    queues = np.zeros(0, np.int32)
    used = np.zeros(4, np.int64)
    written = np.zeros(1, np.int32)  # 1 + the warrior that last wrote a cell since a frame
    if watched is not None:
        frames, changes, queues, used = watched
        written = np.zeros(M, np.int32)

    for r in range(rounds):
        watch = False
        if watched is not None:
            watch = r == watch_round
            written[:] = 0
        starter = (first_round + r) % nw
        for i in range(M):
            core[i, 0] = _EMPTY_WORD
            core[i, 1] = 0
            core[i, 2] = 0
        if track:
            touched[:, :] = 0
        w = starter
        for _k in range(nw):
            p = positions[r, w]
            for j in range(code_len[w]):
                c = code_start[w] + j
                a = (p + j) % M
                core[a, 0] = code[c, 0] << 6 | code[c, 3] << 3 | code[c, 1]
                core[a, 1] = code[c, 2]
                core[a, 2] = code[c, 4]
                if watch:
                    written[a] = w + 1
            queue[w, 0] = (p + entry[w]) % M
            proc[w, _HEAD] = 0
            proc[w, _TAIL] = 1
            proc[w, _TASKS] = 1
            proc[w, _NEXT] = (w + 1) % nw
            alive[w] = True
            w = (w + 1) % nw
        w = starter
        left = nw
        cycle = np.int64(cycles) * nw  # turns left, one fewer each turn
        mark = cycle  # cycle after the last death: mark - cycle turns since
        done = np.int64(0)  # turns before the last death
        elapsed = 0.0  # full cycles elapsed
        next_frame = 0
        while True:
            if watch:
                now = cycles - (cycle + left - 1) // left  # full cycles elapsed
                if now >= next_frame:
                    _frame(
                        frames, changes, queues, used, now, done + mark - cycle,
                        core, written, queue, proc,
                    )  # fmt: skip
                    next_frame = (now // every + 1) * every
            h = proc[_u(w), _HEAD]
            pc = np.int64(queue[_u(w), _u(h)])
            h += 1
            proc[_u(w), _HEAD] = h if h < cap else 0
            if track:
                _mark(touched, cover, w, r, pc)
            word = core[_u(pc), 0]
            ira = np.int64(core[_u(pc), 1])
            irb = np.int64(core[_u(pc), 2])
            # ---- operands: addresses and the A and B values there, latched before the
            # instruction acts (aa, ira at the A address; ab, irb at the B address)
            if word & 63 == _DIR_DIR:  # the common case, without the mode switches
                addr_a = ira + pc
                if addr_a >= M:
                    addr_a -= M
                addr_b = irb + pc
                if addr_b >= M:
                    addr_b -= M
                aa = np.int64(core[_u(addr_a), 1])
                ira = np.int64(core[_u(addr_a), 2])
                ab = np.int64(core[_u(addr_b), 1])
                irb = np.int64(core[_u(addr_b), 2])
            else:
                ir_a = ira
                ir_b = irb
                addr_a, aa, ira, changed = _operand(core, M, pc, word & 7, ir_a, ir_a, ir_b)
                if changed >= 0:
                    if track:
                        _mark(touched, cover, w, r, changed)
                    if watch:
                        written[changed] = w + 1
                mode = (word >> 3) & 7
                addr_b, ab, irb, changed = _operand(core, M, pc, mode, ir_b, ir_a, ir_b)
                if changed >= 0:
                    if track:
                        _mark(touched, cover, w, r, changed)
                    if watch:
                        written[changed] = w + 1
            # ---- execute on opcode.modifier: dest = the process's next address,
            # _DIE (it dies) or _QUEUED (SPL queued it already)
            opm = word >> 6
            nx = pc + 1 if pc + 1 < M else np.int64(0)
            dest = nx
            wrote = False
            if opm == _MOV_I:
                core[_u(addr_b), 0] = core[_u(addr_a), 0]
                core[_u(addr_b), 1] = aa
                core[_u(addr_b), 2] = ira
                wrote = True
            elif opm == _MOV_A:
                core[_u(addr_b), 1] = aa
                wrote = True
            elif opm == _MOV_B:
                core[_u(addr_b), 2] = ira
                wrote = True
            elif opm == _MOV_AB:
                core[_u(addr_b), 2] = aa
                wrote = True
            elif opm == _MOV_BA:
                core[_u(addr_b), 1] = ira
                wrote = True
            elif opm == _MOV_F:
                core[_u(addr_b), 1] = aa
                core[_u(addr_b), 2] = ira
                wrote = True
            elif opm == _MOV_X:
                core[_u(addr_b), 1] = ira
                core[_u(addr_b), 2] = aa
                wrote = True
            elif opm >> 3 == DAT:
                dest = _DIE
            elif opm >> 3 == SPL:
                # the next instruction, then the new process if there is room; written
                # out rather than two _push calls, which measured 20% slower overall
                t = proc[_u(w), _TAIL]
                queue[_u(w), _u(t)] = nx
                t = t + 1 if t + 1 < cap else 0
                if proc[_u(w), _TASKS] < maxproc:
                    proc[_u(w), _TASKS] += 1
                    spawned[_u(r), _u(w)] += 1
                    queue[_u(w), _u(t)] = addr_a
                    t = t + 1 if t + 1 < cap else 0
                proc[_u(w), _TAIL] = t
                dest = _QUEUED
            elif opm >> 3 == JMP:
                dest = addr_a
            elif opm >> 3 == ADD:
                wrote = True
                mo = opm & 7
                if mo == mA or mo == mF or mo == mI:
                    z = ab + aa
                    core[_u(addr_b), 1] = z - M if z >= M else z
                if mo == mB or mo == mF or mo == mI:
                    z = irb + ira
                    core[_u(addr_b), 2] = z - M if z >= M else z
                if mo == mAB or mo == mX:
                    z = irb + aa
                    core[_u(addr_b), 2] = z - M if z >= M else z
                if mo == mBA or mo == mX:
                    z = ab + ira
                    core[_u(addr_b), 1] = z - M if z >= M else z
            elif opm >> 3 == SUB:
                wrote = True
                mo = opm & 7
                if mo == mA or mo == mF or mo == mI:
                    z = ab - aa
                    core[_u(addr_b), 1] = z + M if z < 0 else z
                if mo == mB or mo == mF or mo == mI:
                    z = irb - ira
                    core[_u(addr_b), 2] = z + M if z < 0 else z
                if mo == mAB or mo == mX:
                    z = irb - aa
                    core[_u(addr_b), 2] = z + M if z < 0 else z
                if mo == mBA or mo == mX:
                    z = ab - ira
                    core[_u(addr_b), 1] = z + M if z < 0 else z
            elif opm >> 3 == MUL:
                wrote = True
                mo = opm & 7
                if mo == mA or mo == mF or mo == mI:
                    core[_u(addr_b), 1] = (ab * aa) % M
                if mo == mB or mo == mF or mo == mI:
                    core[_u(addr_b), 2] = (irb * ira) % M
                if mo == mAB or mo == mX:
                    core[_u(addr_b), 2] = (irb * aa) % M
                if mo == mBA or mo == mX:
                    core[_u(addr_b), 1] = (ab * ira) % M
            elif opm >> 3 == DIV or opm >> 3 == MOD:
                wrote = True
                div = opm >> 3 == DIV
                mo = opm & 7
                # A by A, A by B, B by B, B by A, as the modifier says; a division by
                # zero kills the process after the other half of a .F/.X/.I is done
                if mo == mA or mo == mF or mo == mI:
                    if aa == 0:
                        dest = _DIE
                    else:
                        core[_u(addr_b), 1] = ab // aa if div else ab % aa
                if mo == mBA or mo == mX:
                    if ira == 0:
                        dest = _DIE
                    else:
                        core[_u(addr_b), 1] = ab // ira if div else ab % ira
                if mo == mB or mo == mF or mo == mI:
                    if ira == 0:
                        dest = _DIE
                    else:
                        core[_u(addr_b), 2] = irb // ira if div else irb % ira
                if mo == mAB or mo == mX:
                    if aa == 0:
                        dest = _DIE
                    else:
                        core[_u(addr_b), 2] = irb // aa if div else irb % aa
            elif opm >> 3 == JMZ or opm >> 3 == JMN:
                mo = opm & 7
                if mo == mA or mo == mBA:
                    zero = ab == 0
                elif mo == mB or mo == mAB:
                    zero = irb == 0
                else:
                    zero = ab == 0 and irb == 0
                if zero == (opm >> 3 == JMZ):
                    dest = addr_a
            elif opm >> 3 == DJN:
                wrote = True
                mo = opm & 7
                if mo == mA or mo == mBA:
                    t = core[_u(addr_b), 1] - 1
                    core[_u(addr_b), 1] = t if t >= 0 else M - 1
                    if ab != 1:
                        dest = addr_a
                elif mo == mB or mo == mAB:
                    t = core[_u(addr_b), 2] - 1
                    core[_u(addr_b), 2] = t if t >= 0 else M - 1
                    if irb != 1:
                        dest = addr_a
                else:
                    t = core[_u(addr_b), 2] - 1
                    core[_u(addr_b), 2] = t if t >= 0 else M - 1
                    t = core[_u(addr_b), 1] - 1
                    core[_u(addr_b), 1] = t if t >= 0 else M - 1
                    if ab != 1 or irb != 1:
                        dest = addr_a
            elif opm >> 3 == CMP or opm >> 3 == SEQ or opm >> 3 == SNE:
                mo = opm & 7
                if mo == mA:
                    eq = ab == aa
                elif mo == mB:
                    eq = irb == ira
                elif mo == mAB:
                    eq = irb == aa
                elif mo == mBA:
                    eq = ab == ira
                elif mo == mF:
                    eq = ab == aa and irb == ira
                elif mo == mX:
                    eq = irb == aa and ab == ira
                else:  # .I: the words (opcode, modifier, modes) too
                    eq = core[_u(addr_b), 0] == core[_u(addr_a), 0] and ab == aa and irb == ira
                if eq != (opm >> 3 == SNE):
                    dest = nx + 1 if nx + 1 < M else np.int64(0)
            elif opm >> 3 == SLT:
                mo = opm & 7
                if mo == mA:
                    lt = aa < ab
                elif mo == mB:
                    lt = ira < irb
                elif mo == mAB:
                    lt = aa < irb
                elif mo == mBA:
                    lt = ira < ab
                elif mo == mX:
                    lt = aa < irb and ira < ab
                else:
                    lt = aa < ab and ira < irb
                if lt:
                    dest = nx + 1 if nx + 1 < M else np.int64(0)
            elif opm >> 3 == LDP:
                wrote = True
                mo = opm & 7
                if mo == mA or mo == mAB:
                    idx = aa % psize
                else:
                    idx = ira % psize
                val = last_result[w] if idx == 0 else pspace[pidx[w], idx]
                if mo == mA or mo == mBA:
                    core[_u(addr_b), 1] = val
                else:
                    core[_u(addr_b), 2] = val
            elif opm >> 3 == STP:
                mo = opm & 7
                if mo == mA or mo == mBA:
                    idx = ab % psize
                else:
                    idx = irb % psize
                if mo == mA or mo == mAB:
                    val = aa
                else:
                    val = ira
                if idx != 0:
                    pspace[pidx[w], idx] = val
                elif stp_to_result:
                    last_result[w] = val
            # NOP: on to the next instruction
            if wrote:
                if track:
                    _mark(touched, cover, w, r, addr_b)
                if watch:
                    written[addr_b] = w + 1

            if dest >= 0:
                _push(queue, proc, w, cap, dest)
            elif dest == _DIE:
                proc[_u(w), _TASKS] -= 1
                if proc[_u(w), _TASKS] == 0:
                    # warrior w dies: settle the survival shares since the last death
                    since = mark - cycle + 1
                    done += since
                    share = since / (left * left)
                    elapsed += since / left
                    for k in range(nw):
                        if alive[k]:
                            survival[r, k] += share
                    alive[w] = False
                    cycle = cycle - 1 - (cycle - 1) // left
                    left -= 1
                    mark = cycle
                    if left < 2:
                        break
                    prev = w  # unlink w from the ring
                    while proc[prev, _NEXT] != w:
                        prev = proc[prev, _NEXT]
                    proc[prev, _NEXT] = proc[w, _NEXT]
                    w = proc[w, _NEXT]
                    cycle -= 1
                    mark = cycle
                    if cycle <= 0:  # pMARS loops forever here when cycle was 1
                        break
                    continue
            w = proc[_u(w), _NEXT]
            cycle -= 1
            if cycle == 0:
                break
        since = mark - cycle
        if watch:
            lf = max(left, 1)
            now = min(cycles, max(0, cycles - (cycle + lf - 1) // lf))
            _frame(
                frames, changes, queues, used, now, done + since,
                core, written, queue, proc,
            )  # fmt: skip
        # end of round: the survivors share the cycles that are left
        if left > 0:
            elapsed += since / left
            for k in range(nw):
                if alive[k]:
                    survival[r, k] += since / (left * left)
            rest = cycles - elapsed
            if rest > 0:
                for k in range(nw):
                    if alive[k]:
                        survival[r, k] += rest / left
        for k in range(nw):
            survival[r, k] /= cycles
            if alive[k]:
                outcome[r, k] = left
                last_result[k] = left
            else:
                last_result[k] = 0
        executed[r] = done + since
    return outcome, survival, spawned, cover, executed, core


# --------------------------------------------------------------------------- placement


def pmars_rng(seed: int) -> int:
    """pMARS's generator: Park & Miller's minimal standard (CACM 31:10, 1988)."""
    temp = 16807 * (seed % 127773) - 2836 * (seed // 127773)
    if temp < 0:
        temp += 2147483647
    return temp


def _posit(seed: int, nw: int, coresize: int, sep: int) -> tuple[list[int], int, bool]:
    pos = [0] * nw
    p, retries1, retries2 = 1, 20, 4
    while p < nw:
        seed = pmars_rng(seed)
        pos[p] = seed % (coresize - 2 * sep + 1) + sep
        i = 1
        while i < p:
            if abs(pos[p] - pos[i]) < sep:
                break
            i += 1
        if i == p:
            p += 1
        else:
            if not retries2:
                return pos, seed, False
            if not retries1:
                p = i
                retries2 -= 1
                retries1 = 20
            else:
                retries1 -= 1
    return pos, seed, True


def _npos(seed: int, nw: int, coresize: int, sep: int) -> tuple[list[int], int]:
    pos = [0] * nw
    room = coresize - sep * nw + 1
    for i in range(1, nw):
        seed = pmars_rng(seed)
        temp = seed % room
        j = i - 1
        while j > 0:
            if temp > pos[j]:
                break
            pos[j + 1] = pos[j]
            j -= 1
        pos[j + 1] = temp
    temp = sep
    for i in range(1, nw):
        pos[i] += temp
        temp += sep
    for i in range(1, nw):
        seed = pmars_rng(seed)
        j = seed % (nw - i) + i
        pos[i], pos[j] = pos[j], pos[i]
    return pos, seed


def pmars_positions(
    nw: int, rounds: int, coresize: int, min_distance: int, seed: int, first_position: bool
) -> np.ndarray:
    """Load addresses per round as pMARS computes them. With ``first_position`` the
    seed is ``P - min_distance`` (pMARS ``-F P``): round 1 puts warrior 1 at P."""
    out = np.zeros((rounds, nw), dtype=np.int64)
    if nw == 1:
        return out
    span = coresize + 1 - 2 * min_distance
    for r in range(rounds):
        if nw == 2:
            out[r, 1] = min_distance + seed % span
            seed = pmars_rng(seed)
        else:
            pos, seed, ok = _posit(seed, nw, coresize, min_distance)
            if not ok:
                pos, seed = _npos(seed, nw, coresize, min_distance)
            out[r] = pos
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BattleResult:
    """Outcome of a battle. Lists are per warrior, in the order given.

    ``score`` is pMARS's: each round survived with S survivors is worth
    ``(W*W-1)//S`` points (3 per win and 1 per tie in a one-on-one battle).
    ``survival`` is the DRQ survival-share fitness averaged over rounds (in [0, 1]);
    ``descriptors`` holds per-warrior ``processes_spawned`` and ``memory_coverage``
    averaged over rounds. ``outcomes[r][w]`` is the number of survivors at the end of
    round r if warrior w survived it, else 0."""

    rounds: int
    wins: list[int]
    losses: list[int]
    ties: list[int]
    score: list[int]
    survival: list[float]
    descriptors: list[dict[str, float]]
    outcomes: list[list[int]]
    positions: list[list[int]]
    instructions_executed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "score": self.score,
            "survival": self.survival,
            "descriptors": self.descriptors,
            "outcomes": self.outcomes,
            "positions": self.positions,
            "instructions_executed": self.instructions_executed,
        }


def _check(name: str, value: int, low: int, high: int | None = None) -> None:
    if value < low or (high is not None and value > high):
        allowed = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InvalidParameterError(f"{name} must be {allowed}, got {value}")


def pspace_owners(
    pins: Sequence[int | None], strict_icws94: bool = False
) -> tuple[np.ndarray, int]:
    """Which P-space each warrior uses, and how many there are: pMARS's ``pspace_init``.

    A warrior with a PIN that no earlier warrior claimed opens a P-space and hands it to
    every later warrior whose PIN equals it; pMARS compares against the PIN field of a
    warrior without PIN too, which is 0. With ``strict_icws94`` only equal PINs share."""
    owner = [-1] * len(pins)
    n_spaces = 0
    for i, pin in enumerate(pins):
        if owner[i] >= 0:
            continue
        owner[i] = n_spaces
        if pin is not None:
            for j in range(i + 1, len(pins)):
                other = pins[j]
                if other is None and not strict_icws94:
                    other = 0
                if other == pin and owner[j] < 0:
                    owner[j] = n_spaces
        n_spaces += 1
    return np.asarray(owner, dtype=np.int64), n_spaces


def _pspace_size(coresize: int) -> int:
    return next(coresize // i for i in range(16, 0, -1) if coresize % i == 0)


@dataclass(frozen=True, eq=False)
class BattleSetup:
    """A checked battle, ready for the kernel: the warriors, every round's load addresses,
    the P-space owners. :func:`battle` plays it; ``trace.py`` plays it with one round
    watched."""

    warriors: tuple[Warrior, ...]
    rounds: int
    coresize: int
    cycles: int
    processes: int
    track: bool
    strict_icws94: bool
    positions: np.ndarray
    """(rounds, warriors) load addresses."""
    pspace_size: int
    pspace_index: np.ndarray
    pspace_count: int

    def play(
        self, watch_round: int = -1, every: int = 1, buffers: Sequence[np.ndarray] = ()
    ) -> tuple[np.ndarray, ...]:
        """The kernel's outputs: outcome, survival, spawned, cover, executed (with a fresh
        P-space, so a setup plays the same way again). With ``watch_round >= 0`` the
        ``buffers`` (frames, changes, queues, used; see ``_frame``) receive that round's
        frames, taken every ``every`` cycles."""
        ws = self.warriors
        code = np.concatenate([_encode(w.instructions) for w in ws])
        lens = np.asarray([len(w.instructions) for w in ws], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        return _run(
            _cell_type(self.coresize),
            code,
            starts,
            lens,
            np.asarray([w.start for w in ws], dtype=np.int64),
            self.positions,
            self.coresize,
            self.cycles,
            self.processes,
            np.zeros((self.pspace_count, self.pspace_size), dtype=np.int64),
            self.pspace_index,
            np.full(len(ws), self.coresize - 1, dtype=np.int64),
            not self.strict_icws94,
            self.track,
            0,
            watch_round,
            every,
            tuple(buffers) if buffers else None,
        )

    def result(self, outputs: tuple[np.ndarray, ...]) -> BattleResult:
        """The :class:`BattleResult` of the kernel's ``outputs``."""
        outcome, survival, spawned, cover, executed = outputs[:5]
        nw = len(self.warriors)
        wins = [0] * nw
        losses = [0] * nw
        ties = [0] * nw
        score = [0] * nw
        for r in range(self.rounds):
            for k in range(nw):
                s_ = int(outcome[r, k])
                if s_ == 0:
                    losses[k] += 1
                else:
                    score[k] += (nw * nw - 1) // s_
                    if s_ == 1 and nw > 1:
                        wins[k] += 1
                    else:
                        ties[k] += 1
        descriptors = [
            {
                "processes_spawned": float(spawned[:, k].mean()),
                "memory_coverage": float(cover[:, k].mean()) if self.track else float("nan"),
            }
            for k in range(nw)
        ]
        return BattleResult(
            rounds=self.rounds,
            wins=wins,
            losses=losses,
            ties=ties,
            score=score,
            survival=[float(x) for x in survival.mean(axis=0)],
            descriptors=descriptors,
            outcomes=outcome.tolist(),
            positions=self.positions.tolist(),
            instructions_executed=int(executed.sum()),
        )


def battle_setup(
    warriors: Sequence[Warrior],
    rounds: int = 1,
    coresize: int = 8000,
    cycles: int = 80000,
    processes: int = 8000,
    max_length: int = 100,
    min_distance: int = 100,
    positions: Sequence[int] | None = None,
    seed: int | None = None,
    first_position: int | None = None,
    pspace_size: int | None = None,
    track: bool = True,
    strict_icws94: bool = False,
) -> BattleSetup:
    """Check a battle's arguments (those of :func:`battle`) and draw its placements."""
    nw = len(warriors)
    _check("number of warriors", nw, 1)
    _check("rounds", rounds, 1)
    _check("coresize", coresize, 2)
    _check("cycles", cycles, 1)
    _check("processes", processes, 1)
    _check("max_length", max_length, 1, coresize)
    for i, war in enumerate(warriors):
        if len(war.instructions) == 0:
            raise InvalidParameterError(f"warrior {i} has no instructions")
        if len(war.instructions) > max_length:
            raise InvalidParameterError(
                f"warrior {i} ({war.name or 'unnamed'}) has {len(war.instructions)} "
                f"instructions; max_length is {max_length}"
            )
        high = len(war.instructions) if strict_icws94 else coresize
        if not 0 <= war.start < high:
            raise InvalidParameterError(f"warrior {i} starts outside its code: {war.start}")
        for ins in war.instructions:
            if not (0 <= ins.a_value < coresize and 0 <= ins.b_value < coresize):
                raise InvalidParameterError(
                    f"warrior {i} has a field outside [0, {coresize}): {ins}; "
                    "assemble it with the same coresize"
                )
    if positions is not None:
        if len(positions) != nw:
            raise InvalidParameterError(f"positions needs {nw} entries, got {len(positions)}")
        pos = np.tile(np.asarray([p % coresize for p in positions], dtype=np.int64), (rounds, 1))
    else:
        _check("min_distance", min_distance, 0)
        if nw > 1 and nw * min_distance > coresize:
            raise InvalidParameterError(
                f"{nw} warriors need coresize >= {nw}*min_distance; "
                f"got coresize={coresize}, min_distance={min_distance}"
            )
        if first_position is not None:
            _check("first_position", first_position, min_distance, coresize - min_distance)
            s = first_position - min_distance
        else:
            base = int(np.random.default_rng(seed).integers(1, 2**31 - 2)) if seed is None else seed
            s = pmars_rng(base % 2147483646 + 1)
        pos = pmars_positions(nw, rounds, coresize, min_distance, s, first_position is not None)
    psize = pspace_size if pspace_size is not None else _pspace_size(coresize)
    _check("pspace_size", psize, 1, coresize)
    pidx, n_spaces = pspace_owners([w.pin for w in warriors], strict_icws94)
    return BattleSetup(
        tuple(warriors),
        rounds,
        coresize,
        cycles,
        processes,
        track,
        strict_icws94,
        pos,
        psize,
        pidx,
        n_spaces,
    )


def battle(
    warriors: Sequence[Warrior],
    rounds: int = 1,
    coresize: int = 8000,
    cycles: int = 80000,
    processes: int = 8000,
    max_length: int = 100,
    min_distance: int = 100,
    positions: Sequence[int] | None = None,
    seed: int | None = None,
    first_position: int | None = None,
    pspace_size: int | None = None,
    track: bool = True,
    strict_icws94: bool = False,
) -> BattleResult:
    """Play ``rounds`` rounds between ``warriors`` (any number >= 1).

    Placement: ``positions`` fixes every warrior's load address for every round;
    ``first_position=P`` reproduces pMARS ``-F P`` (warrior 1 at P in round 1, then
    pMARS's generator); otherwise pMARS's random placement seeded with ``seed``.
    ``track=False`` skips the descriptors (a little faster). ``strict_icws94=True``
    turns off pMARS's two P-space quirks (see the module docstring) and refuses a start
    outside a warrior's code."""
    setup = battle_setup(
        warriors,
        rounds,
        coresize,
        cycles,
        processes,
        max_length,
        min_distance,
        positions,
        seed,
        first_position,
        pspace_size,
        track,
        strict_icws94,
    )
    return setup.result(setup.play())


def run_single(
    warrior: Warrior,
    steps: int,
    coresize: int = 8000,
    processes: int = 8000,
    position: int = 0,
    pspace_size: int | None = None,
    strict_icws94: bool = False,
) -> list[Instruction]:
    """Run one warrior alone for at most ``steps`` instructions (it stops early if it
    dies) and return the whole core afterwards, for trace comparisons."""
    _check("steps", steps, 1)
    _check("coresize", coresize, 2)
    psize = pspace_size if pspace_size is not None else _pspace_size(coresize)
    code = _encode(warrior.instructions)
    *_, core = _run(
        _cell_type(coresize),
        code,
        np.zeros(1, dtype=np.int64),
        np.asarray([len(code)], dtype=np.int64),
        np.asarray([warrior.start], dtype=np.int64),
        np.asarray([[position % coresize]], dtype=np.int64),
        coresize,
        steps,
        processes,
        np.zeros((1, psize), dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.full(1, coresize - 1, dtype=np.int64),
        not strict_icws94,
        False,
        0,
        -1,
        1,
        None,
    )
    word = core[:, 0].astype(np.int64)
    rows = np.stack([word >> 6, word & 7, core[:, 1], (word >> 3) & 7, core[:, 2]], axis=1)
    return [_decode(row) for row in rows]
