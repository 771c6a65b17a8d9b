"""MARS: the Memory Array Redcode Simulator, ICWS'94, matching pMARS 0.9.2 cycle for cycle.

The core is five integer arrays (opcode*8+modifier, A mode, A value, B mode, B value);
each warrior has its own circular process queue; warriors take turns, one instruction
each, in a ring that starts at a different warrior every round (round r starts with
warrior r mod W, as pMARS does). The inner loop is one numba-compiled function that plays
all rounds of a battle.

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
    if touched[w, addr] == 0:
        touched[w, addr] = 1
        cover[r, w] += 1


@numba.njit(cache=True, nogil=True)
def _frame(
    frames: np.ndarray,
    changes: np.ndarray,
    queues: np.ndarray,
    used: np.ndarray,
    cycle: int,
    turns: int,
    ins: np.ndarray,
    am: np.ndarray,
    av: np.ndarray,
    bm: np.ndarray,
    bv: np.ndarray,
    written: np.ndarray,
    queue: np.ndarray,
    head: np.ndarray,
    tasks: np.ndarray,
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
        or q + tasks.sum() > queues.shape[0]
    ):
        used[3] = 1
        return
    for a in range(written.shape[0]):
        if written[a] != 0:
            changes[c, 0] = a
            changes[c, 1] = ins[a]
            changes[c, 2] = am[a]
            changes[c, 3] = av[a]
            changes[c, 4] = bm[a]
            changes[c, 5] = bv[a]
            changes[c, 6] = written[a] - 1
            written[a] = 0
            c += 1
    cap = queue.shape[1]
    for w in range(tasks.shape[0]):
        k = head[w]
        for _i in range(tasks[w]):
            queues[q] = queue[w, k]
            q += 1
            k += 1
            if k == cap:
                k = 0
        frames[f, 3 + w] = tasks[w]
    frames[f, 0] = cycle
    frames[f, 1] = turns
    frames[f, 2] = c
    used[0] = f + 1
    used[1] = c
    used[2] = q


@numba.njit(cache=True, nogil=True)
def _run(
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
    core_out: np.ndarray,
    watch_round: int,
    every: int,
    watched: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    nw = code_start.shape[0]
    rounds = positions.shape[0]
    M = coresize
    ins = np.empty(M, np.int32)
    am = np.empty(M, np.int32)
    av = np.empty(M, np.int32)
    bm = np.empty(M, np.int32)
    bv = np.empty(M, np.int32)
    cap = maxproc + 1
    queue = np.zeros((nw, cap), np.int32)
    head = np.zeros(nw, np.int64)
    tail = np.zeros(nw, np.int64)
    tasks = np.zeros(nw, np.int64)
    nxt = np.zeros(nw, np.int64)
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
            ins[i] = _DAT_F
            am[i] = DIR
            av[i] = 0
            bm[i] = DIR
            bv[i] = 0
        if track:
            touched[:, :] = 0
        w = starter
        for _k in range(nw):
            p = positions[r, w]
            for j in range(code_len[w]):
                c = code_start[w] + j
                a = (p + j) % M
                ins[a] = code[c, 0]
                am[a] = code[c, 1]
                av[a] = code[c, 2]
                bm[a] = code[c, 3]
                bv[a] = code[c, 4]
                if watch:
                    written[a] = w + 1
            head[w] = 0
            tail[w] = 1
            queue[w, 0] = (p + entry[w]) % M
            tasks[w] = 1
            alive[w] = True
            nxt[w] = (w + 1) % nw
            w = (w + 1) % nw
        w = starter
        prev = (starter - 1 + nw) % nw
        left = nw
        cycle = np.int64(cycles) * nw
        since = np.int64(0)  # turns since the last death
        elapsed = 0.0  # full cycles elapsed
        nexec = np.int64(0)
        next_frame = 0
        while True:
            if watch:
                now = cycles - (cycle + left - 1) // left  # full cycles elapsed
                if now >= next_frame:
                    _frame(
                        frames, changes, queues, used, now, nexec,
                        ins, am, av, bm, bv, written, queue, head, tasks,
                    )  # fmt: skip
                    next_frame = (now // every + 1) * every
            pc = queue[w, head[w]]
            head[w] += 1
            if head[w] == cap:
                head[w] = 0
            nexec += 1
            since += 1
            if track:
                _mark(touched, cover, w, r, pc)
            opm = ins[pc]
            ia = am[pc]
            ib = bm[pc]
            ira = np.int64(av[pc])
            irb = np.int64(bv[pc])
            ab = ira
            # ---- A operand
            if ia != IMM:
                addr_a = ira + pc
                if addr_a >= M:
                    addr_a -= M
                if ia != DIR:
                    use_a = ia == AIND or ia == APRE or ia == APOST
                    t = np.int64(av[addr_a]) if use_a else np.int64(bv[addr_a])
                    if ia == APRE or ia == BPRE:
                        t -= 1
                        if t < 0:
                            t = np.int64(M - 1)
                        if use_a:
                            av[addr_a] = t
                        else:
                            bv[addr_a] = t
                        if track:
                            _mark(touched, cover, w, r, addr_a)
                        if watch:
                            written[addr_a] = w + 1
                    tgt = t + addr_a
                    if tgt >= M:
                        tgt -= M
                    aa = np.int64(av[tgt])
                    ira = np.int64(bv[tgt])
                    if ia == APOST or ia == BPOST:
                        t += 1
                        if t == M:
                            t = np.int64(0)
                        if use_a:
                            av[addr_a] = t
                        else:
                            bv[addr_a] = t
                        if track:
                            _mark(touched, cover, w, r, addr_a)
                        if watch:
                            written[addr_a] = w + 1
                    addr_a = tgt
                else:
                    aa = np.int64(av[addr_a])
                    ira = np.int64(bv[addr_a])
            else:
                aa = ira
                addr_a = pc
                ira = irb
            # ---- B operand
            if ib != IMM:
                addr_b = irb + pc
                if addr_b >= M:
                    addr_b -= M
                if ib != DIR:
                    use_a = ib == AIND or ib == APRE or ib == APOST
                    t = np.int64(av[addr_b]) if use_a else np.int64(bv[addr_b])
                    if ib == APRE or ib == BPRE:
                        t -= 1
                        if t < 0:
                            t = np.int64(M - 1)
                        if use_a:
                            av[addr_b] = t
                        else:
                            bv[addr_b] = t
                        if track:
                            _mark(touched, cover, w, r, addr_b)
                        if watch:
                            written[addr_b] = w + 1
                    tgt = t + addr_b
                    if tgt >= M:
                        tgt -= M
                    ab = np.int64(av[tgt])
                    irb = np.int64(bv[tgt])
                    if ib == APOST or ib == BPOST:
                        t += 1
                        if t == M:
                            t = np.int64(0)
                        if use_a:
                            av[addr_b] = t
                        else:
                            bv[addr_b] = t
                        if track:
                            _mark(touched, cover, w, r, addr_b)
                        if watch:
                            written[addr_b] = w + 1
                    addr_b = tgt
                else:
                    ab = np.int64(av[addr_b])
                    irb = np.int64(bv[addr_b])
            else:
                addr_b = pc
            # ---- execute: action 0 = next, 1 = jump to addr_a, 2 = skip, 3 = die,
            # 4 = already queued
            op = opm >> 3
            mo = opm & 7
            action = 0
            wrote = False
            if op == MOV:
                wrote = True
                if mo == mA:
                    av[addr_b] = aa
                elif mo == mB:
                    bv[addr_b] = ira
                elif mo == mAB:
                    bv[addr_b] = aa
                elif mo == mBA:
                    av[addr_b] = ira
                elif mo == mF:
                    av[addr_b] = aa
                    bv[addr_b] = ira
                elif mo == mX:
                    bv[addr_b] = aa
                    av[addr_b] = ira
                else:
                    ins[addr_b] = ins[addr_a]
                    am[addr_b] = am[addr_a]
                    bm[addr_b] = bm[addr_a]
                    av[addr_b] = aa
                    bv[addr_b] = ira
            elif op == ADD or op == SUB or op == MUL:
                wrote = True
                if mo == mA or mo == mF or mo == mI:
                    x = ab
                    y = aa
                    if op == ADD:
                        z = x + y
                    elif op == SUB:
                        z = x - y + M
                    else:
                        z = x * y
                    av[addr_b] = z % M
                if mo == mB or mo == mF or mo == mI:
                    x = irb
                    y = ira
                    if op == ADD:
                        z = x + y
                    elif op == SUB:
                        z = x - y + M
                    else:
                        z = x * y
                    bv[addr_b] = z % M
                if mo == mAB or mo == mX:
                    x = irb
                    y = aa
                    if op == ADD:
                        z = x + y
                    elif op == SUB:
                        z = x - y + M
                    else:
                        z = x * y
                    bv[addr_b] = z % M
                if mo == mBA or mo == mX:
                    x = ab
                    y = ira
                    if op == ADD:
                        z = x + y
                    elif op == SUB:
                        z = x - y + M
                    else:
                        z = x * y
                    av[addr_b] = z % M
            elif op == DIV or op == MOD:
                wrote = True
                if mo == mA:
                    if aa == 0:
                        action = 3
                    else:
                        av[addr_b] = ab // aa if op == DIV else ab % aa
                elif mo == mB:
                    if ira == 0:
                        action = 3
                    else:
                        bv[addr_b] = irb // ira if op == DIV else irb % ira
                elif mo == mAB:
                    if aa == 0:
                        action = 3
                    else:
                        bv[addr_b] = irb // aa if op == DIV else irb % aa
                elif mo == mBA:
                    if ira == 0:
                        action = 3
                    else:
                        av[addr_b] = ab // ira if op == DIV else ab % ira
                elif mo == mX:
                    if ira != 0:
                        av[addr_b] = ab // ira if op == DIV else ab % ira
                    else:
                        action = 3
                    if aa != 0:
                        bv[addr_b] = irb // aa if op == DIV else irb % aa
                    else:
                        action = 3
                else:
                    if aa != 0:
                        av[addr_b] = ab // aa if op == DIV else ab % aa
                    else:
                        action = 3
                    if ira != 0:
                        bv[addr_b] = irb // ira if op == DIV else irb % ira
                    else:
                        action = 3
            elif op == JMP:
                action = 1
            elif op == JMZ:
                if mo == mA or mo == mBA:
                    action = 1 if ab == 0 else 0
                elif mo == mB or mo == mAB:
                    action = 1 if irb == 0 else 0
                else:
                    action = 1 if ab == 0 and irb == 0 else 0
            elif op == JMN:
                if mo == mA or mo == mBA:
                    action = 1 if ab != 0 else 0
                elif mo == mB or mo == mAB:
                    action = 1 if irb != 0 else 0
                else:
                    action = 1 if ab != 0 or irb != 0 else 0
            elif op == DJN:
                wrote = True
                if mo == mA or mo == mBA:
                    t = av[addr_b] - 1
                    av[addr_b] = t if t >= 0 else M - 1
                    action = 0 if ab == 1 else 1
                elif mo == mB or mo == mAB:
                    t = bv[addr_b] - 1
                    bv[addr_b] = t if t >= 0 else M - 1
                    action = 0 if irb == 1 else 1
                else:
                    t = bv[addr_b] - 1
                    bv[addr_b] = t if t >= 0 else M - 1
                    t = av[addr_b] - 1
                    av[addr_b] = t if t >= 0 else M - 1
                    action = 0 if ab == 1 and irb == 1 else 1
            elif op == SPL:
                nxt_pc = pc + 1
                if nxt_pc == M:
                    nxt_pc = 0
                queue[w, tail[w]] = nxt_pc
                tail[w] += 1
                if tail[w] == cap:
                    tail[w] = 0
                if tasks[w] < maxproc:
                    tasks[w] += 1
                    spawned[r, w] += 1
                    queue[w, tail[w]] = addr_a
                    tail[w] += 1
                    if tail[w] == cap:
                        tail[w] = 0
                action = 4
            elif op == CMP or op == SEQ or op == SNE:
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
                else:
                    eq = (
                        ins[addr_b] == ins[addr_a]
                        and am[addr_b] == am[addr_a]
                        and bm[addr_b] == bm[addr_a]
                        and ab == aa
                        and irb == ira
                    )
                if op == SNE:
                    action = 0 if eq else 2
                else:
                    action = 2 if eq else 0
            elif op == SLT:
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
                action = 2 if lt else 0
            elif op == LDP:
                wrote = True
                if mo == mA or mo == mAB:
                    idx = aa % psize
                else:
                    idx = ira % psize
                val = last_result[w] if idx == 0 else pspace[pidx[w], idx]
                if mo == mA or mo == mBA:
                    av[addr_b] = val
                else:
                    bv[addr_b] = val
            elif op == STP:
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
            elif op == NOP:
                action = 0
            else:  # DAT
                action = 3
            if track and wrote:
                _mark(touched, cover, w, r, addr_b)
            if watch and wrote:
                written[addr_b] = w + 1

            if action == 3:
                tasks[w] -= 1
                if tasks[w] == 0:
                    # warrior w dies: settle the survival shares since the last death
                    share = since / (left * left)
                    elapsed += since / left
                    since = np.int64(0)
                    for k in range(nw):
                        if alive[k]:
                            survival[r, k] += share
                    alive[w] = False
                    cycle = cycle - 1 - (cycle - 1) // left
                    left -= 1
                    if left < 2:
                        break
                    nxt[prev] = nxt[w]
                    w = nxt[w]
                    cycle -= 1
                    if cycle <= 0:  # pMARS loops forever here when cycle was 1
                        break
                    continue
            elif action != 4:
                if action == 0:
                    dest = pc + 1
                    if dest == M:
                        dest = 0
                elif action == 1:
                    dest = addr_a
                else:
                    dest = pc + 2
                    if dest >= M:
                        dest -= M
                queue[w, tail[w]] = dest
                tail[w] += 1
                if tail[w] == cap:
                    tail[w] = 0
            prev = w
            w = nxt[w]
            cycle -= 1
            if cycle == 0:
                break
        if watch:
            lf = max(left, 1)
            now = min(cycles, max(0, cycles - (cycle + lf - 1) // lf))
            _frame(
                frames, changes, queues, used, now, nexec,
                ins, am, av, bm, bv, written, queue, head, tasks,
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
        executed[r] = nexec
    for i in range(min(M, core_out.shape[0])):
        core_out[i, 0] = ins[i]
        core_out[i, 1] = am[i]
        core_out[i, 2] = av[i]
        core_out[i, 3] = bm[i]
        core_out[i, 4] = bv[i]
    return outcome, survival, spawned, cover, executed


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
            np.zeros((0, 5), dtype=np.int64),
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
    core_out = np.zeros((coresize, 5), dtype=np.int64)
    _run(
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
        core_out,
        -1,
        1,
        None,
    )
    return [_decode(row) for row in core_out]
