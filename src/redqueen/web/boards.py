"""Boards: a picture of a state for the browser, beside the game's text view.

A board is drawn only from what the state offers through public methods (the cells'
owners of the grid games, the cards and pot of the poker games, Hanabi's ``view``, the
kitchen's ``grid_text``, the messages of cheap-talk games), never from its private
fields, and only from what the viewer may see: with ``viewer`` a seat, the other seats'
private cards stay face down until the game is over; with ``viewer`` None (a spectator
stepping through a stored match) every card is shown. Games without a board of their
own are played from their text view alone.

In play, the cells a move can go to are buttons named ``action`` whose value is the
action id (the page wraps the board in the move form): clicking a cell is the move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from redqueen.errors import RedqueenError
from redqueen.games.core import CHANCE, State

BoardFn = Callable[[State, "int | None", Sequence[int]], str]

_MARKS = ("x", "o")


def _cell(content: str, action: int | None, label: str, classes: str) -> str:
    if action is None:
        return f"<td class='{classes}'><span>{content}</span></td>"
    return (
        f"<td class='{classes}'><button type='submit' name='action' value='{action}' "
        f"aria-label='{escape(label)}' data-action='{action}'>{content}</button></td>"
    )


def _grid(
    state: State,
    owners: Sequence[int],
    rows: int,
    columns: int,
    top_first: bool,
    action_of: Callable[[int, int], int],
    legal: Sequence[int],
    label: Callable[[int, int], str],
) -> str:
    winner = getattr(state, "winner", lambda: None)()
    lines: Sequence[Sequence[int]] = getattr(state, "winning_lines", lambda: ())()
    won: set[int] = set()
    if winner is not None:
        for line in lines:
            if all(owners[c] == winner for c in line):
                won.update(line)
    out = ["<table class='grid'>"]
    order = range(rows - 1, -1, -1) if not top_first else range(rows)
    playable = set(legal)
    for r in order:
        out.append("<tr>")
        for c in range(columns):
            cell = r * columns + c
            owner = owners[cell]
            mark = _MARKS[owner] if 0 <= owner < len(_MARKS) else ""
            classes = f"cell mark-{mark or 'empty'}" + (" won" if cell in won else "")
            action = action_of(r, c)
            clickable = owner < 0 and action in playable
            out.append(_cell(mark, action if clickable else None, label(r, c), classes))
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def tic_tac_toe_board(state: State, viewer: int | None, legal: Sequence[int]) -> str:
    owners = state.cell_owners()  # type: ignore[attr-defined]
    return _grid(
        state,
        owners,
        3,
        3,
        True,
        lambda r, c: 3 * r + c,
        legal,
        lambda r, c: f"{'abc'[c]}{r + 1}",
    )


def connect_four_board(state: State, viewer: int | None, legal: Sequence[int]) -> str:
    game = state.game
    rows, columns = int(game.rows), int(game.columns)  # type: ignore[attr-defined]
    owners = state.cell_owners()  # type: ignore[attr-defined]
    playable = set(legal)
    # a disc drops to the lowest empty cell of its column: that cell is the button
    lowest = {
        c: next((r for r in range(rows) if owners[r * columns + c] < 0), None)
        for c in range(columns)
    }
    lowest_legal = [r * columns + c for c, r in lowest.items() if r is not None and c in playable]
    return _grid(
        state,
        owners,
        rows,
        columns,
        False,
        lambda r, c: c if r * columns + c in lowest_legal else -1,
        [c for c in range(columns) if c in playable],
        lambda r, c: f"column {c}",
    )


def _card_name(state: State, card: int | None) -> str:
    if card is None:
        return ""
    try:
        return state.action_text(card, CHANCE).removeprefix("deal ")
    except RedqueenError:  # a game that names no chance outcomes: show the id
        return str(card)


def _card(name: str, hidden: bool) -> str:
    if hidden:
        return "<span class='card back' title='face down'>?</span>"
    if not name:
        return "<span class='card none'>–</span>"
    suit = {"h": "♥", "s": "♠", "d": "♦", "c": "♣"}.get(name[-1:], "") if len(name) > 1 else ""
    rank = name[:-1] if suit else name
    red = " red" if name[-1:] in ("h", "d") and suit else ""
    return f"<span class='card{red}'>{escape(rank)}{suit}</span>"


def poker_board(state: State, viewer: int | None, legal: Sequence[int]) -> str:
    """Each seat's private card (the viewer's own face up), the public card where the
    game has one, and the pot; the bets so far are in the text view beside it."""
    game = state.game
    over = state.is_terminal()
    seats = []
    for p in range(game.num_players):
        name = _card_name(state, state.private_card(p))  # type: ignore[attr-defined]
        hidden = viewer is not None and p != viewer and not over and bool(name)
        who = "you" if p == viewer else f"player {p}"
        seats.append(f"<div class='seat'><div class='who'>{who}</div>{_card(name, hidden)}</div>")
    public = ""
    if hasattr(state, "public_card"):
        card = state.public_card
        public = (
            "<div class='public'><div class='who'>public card</div>"
            f"{_card(_card_name(state, card), False)}</div>"
        )
    pot = int(state.pot)  # type: ignore[attr-defined]
    return (
        "<div class='poker'>"
        + "".join(seats)
        + public
        + f"<div class='pot'>pot <b>{pot}</b> chip{'s' if pot != 1 else ''}</div></div>"
    )


def hanabi_board(state: State, viewer: int | None, legal: Sequence[int]) -> str:
    """Fireworks, tokens and deck, the other seats' cards face up and the viewer's own
    as backs with what the hints revealed (a spectator sees every hand, from the
    ``view`` of the seat beside it)."""
    n = state.game.num_players
    look = state.view(viewer if viewer is not None else 0)  # type: ignore[attr-defined]
    fireworks = "".join(
        f"<span class='card{' red' if c == 'R' else ''}' title='{escape(c)} firework'>"
        f"{escape(c)}{int(v)}</span>"
        for c, v in look.fireworks.items()
    )
    head = (
        f"<div class='seat'><div class='who'>fireworks</div>{fireworks}</div>"
        f"<div class='pot'>lives <b>{look.life_tokens}</b> · hints <b>{look.info_tokens}</b>"
        f" · deck <b>{look.deck_size}</b></div>"
    )
    hands = []
    for p in range(n):
        if p == viewer:
            cards = "".join(
                _card(
                    f"{k.revealed_color or ''}{k.revealed_rank or ''}",
                    k.revealed_color is None and k.revealed_rank is None,
                )
                for k in look.own
            )
            who = "you"
        else:
            other = state.view((p + 1) % n) if viewer is None else look  # type: ignore[attr-defined]
            cards = "".join(_card(str(c), False) for c in other.other_cards)
            who = f"player {p}"
        hands.append(f"<div class='seat'><div class='who'>{who}</div>{cards}</div>")
    return "<div class='poker hanabi'>" + head + "".join(hands) + "</div>"


_KITCHEN = {"X": "counter", "P": "pot", "O": "onions", "D": "dishes", "S": "serve", ".": "floor"}


def kitchen_board(state: State, viewer: int | None, legal: Sequence[int]) -> str:
    """An Overcooked-style kitchen from the state's ``grid_text()`` (two characters a
    cell: the terrain, then a player's seat and facing, or an object's letter)."""
    rows = []
    for line in state.grid_text().splitlines():  # type: ignore[attr-defined]
        cells = [line[i : i + 2] for i in range(0, len(line), 3)]
        tds = []
        for cell in cells:
            terrain, mark = cell[:1], cell[1:2].strip()
            if terrain.isdigit():  # a player (seat, facing) on the floor
                terrain, mark = ".", cell.strip()
            kind = _KITCHEN.get(terrain, "other")
            shown = escape(terrain if terrain != "." else "")
            tds.append(
                f"<td class='k-{kind}' title='{kind}'><span>{shown}"
                f"<sub>{escape(mark)}</sub></span></td>"
            )
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return "<table class='grid kitchen'>" + "".join(rows) + "</table>"


BOARDS: dict[str, BoardFn] = {
    "tic_tac_toe": tic_tac_toe_board,
    "connect_four": connect_four_board,
    "kuhn_poker": poker_board,
    "leduc_poker": poker_board,
    "hanabi": hanabi_board,
    "overcooked": kitchen_board,
}
"""Game id -> its board. A game not listed is shown by its text view (and messages)."""


def board_html(state: State, viewer: int | None = None, legal: Sequence[int] = ()) -> str | None:
    """The board of ``state`` as ``viewer`` sees it (None: a spectator who sees every
    card), with buttons on the cells of ``legal`` actions; None for a game without one."""
    draw = BOARDS.get(state.game.id)
    return None if draw is None else draw(state, viewer, legal)


def messages_html(state: State) -> str | None:
    """The cheap-talk messages so far, for games that carry them (``messages()``)."""
    said = getattr(state, "messages", None)
    if not callable(said):
        return None
    items = "".join(f"<li><b>player {int(p)}</b>: {escape(str(text))}</li>" for p, text in said())
    return f"<ul class='messages'>{items or '<li><i>no messages yet</i></li>'}</ul>"


def accepts_messages(state: State) -> bool:
    """Whether the player to move may attach a message to their move (cheap talk)."""
    say = getattr(state.clone(), "say", None)
    if not callable(say) or state.current_player() < 0:
        return False
    try:
        say("")  # on a copy: a game made without messages refuses
    except RedqueenError:
        return False
    return True
