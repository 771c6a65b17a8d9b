"""The HTTP layer of ``redqueen serve``: a FastAPI app built by :func:`create_app`.

Pages are rendered on the server (Jinja2 templates in ``templates/``, autoescaped);
``static/app.js`` only refreshes a running run's page, adds arrow keys to the match
viewer and shows a game's parameters in the new-match form. Every form is a plain HTML
form posted as ``application/x-www-form-urlencoded`` (read here with the standard
library), so the app needs no JavaScript to play.

Endpoints (GET unless marked):

======================================  ===================================================
``/``                                   home
``/play``, POST ``/play``               new match form; start a match
``/play/{id}``                          the match, for the person who started it
POST ``/play/{id}/move``                a move (``action``, optional ``message``)
POST ``/play/{id}/continue``            let the opponents try again (after an LLM limit)
``/runs``, ``/runs/{run}``              runs; one run, followed live
``/runs/{run}/live``                    the live part of a run's page (polled)
``/runs/{run}/files/{name}``            the run's ``report.html`` / ``transcripts.html``
``/runs/{run}/matches/{key}?step=N``    a stored match, step by step (shareable)
``/api/games``, ``/api/runs``           JSON: the games with parameters; runs, progress
``/api/runs/{run}/matches/{key}``       JSON: a stored match's frames and LLM calls
``/corewar``, POST ``/corewar``         Core War: pick two warriors; start a battle
``/corewar/{id}?frame=N``               the battle, frame by frame (its starter only)
``/api/corewar/{id}[/frames/{n}]``      JSON: the battle's frames; one frame's core map
``/api/corewar/{id}/frames/{n}/cells/{a}``  JSON: the instructions around cell ``a``
``/study``, POST ``/study/join``        study: consent and instructions; joining
POST ``/study/next``                    the participant's next match
``/study/results``                      results; ``/study/export/{summary|matches}.{csv|parquet}``
======================================  ===================================================

The rules of :mod:`redqueen.web.security` are applied here: the token on every request,
the participant cookie, the form token and origin check on every POST, the owner check
on every move, the LLM rate limit.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games.registry import make, parameters, registered, summary
from redqueen.report.charts import line_chart_svg
from redqueen.report.html import heat_map, standings_notes, standings_table
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import DB_NAME
from redqueen.web.boards import accepts_messages, board_html, messages_html
from redqueen.web.corewar import (
    BATTLES_PER_MINUTE,
    MAX_SOURCE_CHARS,
    SIDES,
    STANDARD,
    Battles,
    CoreWarBattle,
    battle_json,
    cells_json,
    form_defaults,
    frame_json,
    page_context,
    start_battle,
    warrior_choices,
)
from redqueen.web.replay import match_frames
from redqueen.web.runs import (
    SERVED_FILES,
    RunIndex,
    live_summary,
    match_game,
    run_overview,
    stored_match,
)
from redqueen.web.security import (
    RateLimiter,
    check_name,
    form_token,
    form_token_ok,
    new_participant_id,
    new_secret,
    request_token,
    same_origin,
    token_matches,
)
from redqueen.web.sessions import (
    HumanRuns,
    PlaySession,
    build_game,
    build_opponent,
    parse_params,
    restore_sessions,
    start_session,
)
from redqueen.web.study import Study, StudyConfig, to_csv, to_parquet

MAX_BODY = 64 * 1024
MAX_SESSIONS = 500
POLL_SECONDS = 2.0
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'self'; form-action 'self'"
)
_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
_EMPTY = inspect.Parameter.empty


@dataclass
class ServeConfig:
    """What ``redqueen serve`` was given."""

    run_dirs: list[Path] = field(default_factory=list)
    human_dir: Path = Path("runs/human")
    """Where browser matches are stored, one run directory per game."""
    token: str | None = None
    study: StudyConfig | None = None
    study_dir: Path | None = None
    """Where the study stores (default: its ``out``, relative to the working directory)."""
    llm_moves_per_minute: int = 30


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("redqueen.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["urlpath"] = lambda s: quote(str(s), safe="/")
    return env


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):.{digits}g}"


def create_app(config: ServeConfig) -> FastAPI:
    """The app: pages, JSON endpoints and the static files (see the module docstring)."""
    app = FastAPI(title="redqueen", docs_url=None, redoc_url=None, openapi_url=None)
    env = _templates()
    secret = new_secret()
    humans = HumanRuns(config.human_dir)
    roots = [*config.run_dirs, config.human_dir]
    study: Study | None = None
    limit = config.llm_moves_per_minute
    if config.study is not None:
        study_out = config.study_dir or config.study.out_dir(Path.cwd())
        study = Study(config.study, study_out)
        roots.append(study_out)
        limit = config.study.llm_moves_per_minute
    index = RunIndex(roots)
    limiter = RateLimiter(limit)
    sessions: dict[str, PlaySession] = {}
    locks: dict[str, asyncio.Lock] = {}
    study_items: dict[str, int] = {}
    # matches in progress when the server last stopped, played again from their records
    restored = restore_sessions([e.path for e in index.entries()], roots)
    for restored_session in restored.sessions:
        sessions[restored_session.id] = restored_session
        if study is not None and restored_session.study_item is not None:
            study_items[restored_session.id] = restored_session.study_item
    unrestorable = {u.id: u for u in restored.problems}
    games_cache: list[dict[str, Any]] = []
    static = Path(__file__).with_name("static")
    app.mount("/static", StaticFiles(directory=static), name="static")

    # ---- cross-cutting rules ---------------------------------------------------------

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        token_in_query = False
        if config.token is not None:
            given = request_token(request.headers, request.cookies, request.query_params)
            if not token_matches(config.token, given):
                return PlainTextResponse(
                    "401: this server needs its token (open the address it printed, which "
                    "carries ?token=..., or send Authorization: Bearer TOKEN)",
                    status_code=401,
                )
            token_in_query = request.query_params.get("token") is not None
        participant = request.cookies.get("rq_participant") or ""
        fresh = not participant or len(participant) > 64
        if fresh:
            participant = new_participant_id()
        request.state.participant = participant
        if request.method == "POST" and not same_origin(
            request.headers.get("origin"), request.headers.get("host")
        ):
            return PlainTextResponse("403: a request from another site", status_code=403)
        response = await call_next(request)
        if fresh:
            response.set_cookie(
                "rq_participant", participant, httponly=True, samesite="strict", max_age=30 * 86400
            )
        if token_in_query and config.token is not None:
            response.set_cookie("rq_token", config.token, httponly=True, samesite="strict")
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(HttpError)
    async def http_error(request: Request, err: HttpError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": err.message}, status_code=err.status)
        return _page(
            request, "error.html", {"status": err.status, "message": err.message}, err.status
        )

    @app.exception_handler(RedqueenError)
    async def redqueen_error(request: Request, err: RedqueenError) -> Response:
        status = 404 if isinstance(err, UnknownNameError) else 400
        return await http_error(request, HttpError(status, str(err)))

    def _page(
        request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        participant = request.state.participant
        html = env.get_template(name).render(
            csrf=form_token(secret, participant),
            study=study,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    async def _form(request: Request) -> dict[str, str]:
        """A posted form's fields, after its form token is checked."""
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HttpError(413, f"a form has at most {MAX_BODY} bytes")
        fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if not form_token_ok(secret, request.state.participant, fields.get("csrf")):
            raise HttpError(
                403, "the form's token is missing or stale: reload the page and try again"
            )
        return fields

    def _session(request: Request, sid: str) -> PlaySession:
        session = sessions.get(sid)
        if session is None and sid in unrestorable:
            raise HttpError(
                409,
                f"match {sid!r} was in progress when the server stopped but could not be "
                f"restored: {unrestorable[sid].reason}",
            )
        if session is None:
            raise HttpError(404, f"no match {sid!r} on this server")
        if not session.claim(request.state.participant):
            raise HttpError(403, "this match belongs to another participant")
        return session

    def _remember(session: PlaySession) -> None:
        sessions[session.id] = session
        if len(sessions) > MAX_SESSIONS:
            for sid in [s for s, v in sessions.items() if v.finished][
                : len(sessions) - MAX_SESSIONS
            ]:
                sessions.pop(sid, None)
                locks.pop(sid, None)

    def _run_id(path: Path) -> str | None:
        target = path.resolve()
        return next((e.id for e in index.entries() if e.path.resolve() == target), None)

    # ---- home and play ---------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        return _page(request, "home.html", {"runs": len(index.entries())})

    def _games() -> list[dict[str, Any]]:
        if not games_cache:
            for game_id in registered():
                params = {
                    name: None if default is _EMPTY else default
                    for name, default in parameters(game_id).items()
                }
                try:
                    players: int | None = make(game_id).num_players
                except (RedqueenError, TypeError, ValueError):
                    players = None
                games_cache.append(
                    {
                        "id": game_id,
                        "summary": summary(game_id),
                        "players": players,
                        "parameters": json.loads(json.dumps(params, default=str)),
                        "required": [n for n, d in parameters(game_id).items() if d is _EMPTY],
                    }
                )
        return games_cache

    @app.get("/api/games")
    async def api_games() -> JSONResponse:
        return JSONResponse(_games())

    @app.get("/play", response_class=HTMLResponse)
    async def play_form(request: Request, game: str = "tic_tac_toe") -> Response:
        mine = [
            s
            for s in sessions.values()
            if not s.finished and s.belongs_to(request.state.participant)
        ]
        context = {"resume": mine, "unrestorable": list(unrestorable.values())}
        return _page(
            request, "play_new.html", {"games": _games(), "form": {"game": game}, **context}
        )

    @app.post("/play")
    async def play_start(request: Request) -> Response:
        form = await _form(request)
        try:
            name = check_name(form.get("name", ""))
            game = build_game(form.get("game", ""), parse_params(form.get("params", "")))
            specs = [s.strip() for s in form.get("opponents", "random").split("\n") if s.strip()]
            opponents = [build_opponent(s, game, roots) for s in specs or ["random"]]
            seed_text = form.get("seed", "").strip()
            seed = int(seed_text) if seed_text else None
            seat = int(form.get("seat", "0") or 0)
            if any(getattr(a, "prefers_async", False) for a, _ in opponents) and not limiter.allows(
                request.state.participant
            ):
                raise HttpError(
                    429, "LLM opponents are limited per participant; try again in a minute"
                )
            session = await start_session(
                owner=request.state.participant,
                person=name,
                game=game,
                seat=seat,
                opponents=opponents,
                runs=humans,
                seed=seed,
                limiter=limiter,
            )
        except (RedqueenError, ValueError) as err:
            message = str(err) if isinstance(err, RedqueenError) else f"not a number: {err}"
            return _page(
                request,
                "play_new.html",
                {"games": _games(), "form": form, "error": message},
                400,
            )
        _remember(session)
        return RedirectResponse(f"/play/{session.id}", status_code=303)

    @app.get("/play/{sid}", response_class=HTMLResponse)
    async def play_page(request: Request, sid: str) -> Response:
        session = _session(request, sid)
        obs = session.waiting()
        state = session.state
        legal = list(obs.legal_actions) if obs else []
        watch = None
        if session.stored is not None:
            run_id = _run_id(session.run_dir)
            if run_id is not None:
                watch = f"/runs/{run_id}/matches/{quote(session.key, safe='/')}"
        context = {
            "s": session,
            "obs": obs,
            "view": obs.text if obs else state.observation_text(session.seat),
            "moves": list(zip(legal, obs.legal_action_texts, strict=True)) if obs else [],
            "board": board_html(state, session.seat, legal),
            "messages": messages_html(state),
            "can_say": obs is not None and accepts_messages(state),
            "watch": watch,
            "returns": session.result.returns if session.result else None,
            "study_next": study is not None and sid in study_items,
        }
        return _page(request, "play.html", context)

    async def _locked(sid: str, work: Callable[[], Awaitable[None]]) -> None:
        lock = locks.setdefault(sid, asyncio.Lock())
        if lock.locked():
            raise HttpError(409, "a move of this match is still being played")
        async with lock:
            await work()

    def _after(request: Request, session: PlaySession) -> None:
        if session.finished and study is not None and session.id in study_items:
            p = study.participant(request.state.participant)
            item = (
                next((i for i in study.remaining(p) if i.index == study_items[session.id]), None)
                if p
                else None
            )
            if p is not None and item is not None:
                study.mark_done(p, item)

    @app.post("/play/{sid}/move")
    async def play_move(request: Request, sid: str) -> Response:
        form = await _form(request)
        session = _session(request, sid)
        try:
            action = int(form.get("action", ""))
        except ValueError:
            raise HttpError(400, f"action {form.get('action')!r} is not an action id") from None
        message = form.get("message", "").strip() or None
        await _locked(sid, lambda: session.play(action, message, limiter))
        _after(request, session)
        return RedirectResponse(f"/play/{sid}", status_code=303)

    @app.post("/play/{sid}/continue")
    async def play_continue(request: Request, sid: str) -> Response:
        await _form(request)
        session = _session(request, sid)
        await _locked(sid, lambda: session.advance(limiter))
        _after(request, session)
        return RedirectResponse(f"/play/{sid}", status_code=303)

    # ---- runs ------------------------------------------------------------------------

    def _overviews() -> list[dict[str, Any]]:
        out = []
        for entry in index.entries():
            o = run_overview(entry.path)
            out.append(
                {
                    "id": entry.id,
                    "path": str(entry.path),
                    "name": o.name,
                    "kind": o.kind,
                    "game": o.game,
                    "done": o.done,
                    "total": o.total,
                    "fraction": o.fraction,
                    "report": o.has_report,
                }
            )
        return out

    @app.get("/runs", response_class=HTMLResponse)
    async def runs_page(request: Request) -> Response:
        return _page(request, "runs.html", {"runs": _overviews()})

    @app.get("/api/runs")
    async def api_runs() -> JSONResponse:
        return JSONResponse(_overviews())

    def _live(run_id: str) -> dict[str, Any]:
        entry = index.get(run_id)
        s = live_summary(entry.path)
        parts: list[str] = []
        if s.standings and s.elo is not None:
            parts.append(standings_table(s.standings, {e.name: e for e in s.elo.ratings}))
            parts.append(standings_notes(s.standings, s.elo.basis))
        heat = heat_map(s.payoffs) if s.payoffs is not None and len(s.names) > 1 else ""
        curves = {
            name: line_chart_svg(
                {name: points}, x_label="step", y_label=name, width=640, height=220
            )
            for name, points in s.curves.items()
            if points
        }
        o = s.overview
        return {
            "id": entry.id,
            "o": o,
            "standings": "".join(parts),
            "heat": heat,
            "curves": curves,
            "curve_notes": s.curve_notes,
            "problems": s.problems,
            "matches": [(m.key, m.index, r.agents, r.returns) for m, r in s.matches[-200:]],
            "match_count": len(s.matches),
            "finished": o.total is not None and o.done >= o.total,
            "poll": POLL_SECONDS,
        }

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    async def run_page(request: Request, run_id: str) -> Response:
        return _page(request, "run.html", _live(run_id))

    @app.get("/runs/{run_id}/live", response_class=HTMLResponse)
    async def run_live(request: Request, run_id: str) -> Response:
        return _page(request, "live.html", _live(run_id))

    @app.get("/runs/{run_id}/files/{name}")
    async def run_file(run_id: str, name: str) -> Response:
        entry = index.get(run_id)
        if name not in SERVED_FILES:
            raise HttpError(404, f"no file {name!r}; served: {', '.join(SERVED_FILES)}")
        path = entry.path / name
        if not path.is_file():
            raise HttpError(404, f"{name} is not written yet (redqueen report {entry.path})")
        return FileResponse(
            path, media_type="text/html", headers={"Content-Security-Policy": _REPORT_CSP}
        )

    def _frames(run_id: str, key: str) -> dict[str, Any]:
        entry = index.get(run_id)
        match, result, config = stored_match(entry.path, key)
        game = match_game(config, result)
        with LLMStore(entry.path / DB_NAME) as store:
            calls = store.calls(key)
        frames = match_frames(game, result, calls)
        return {"entry": entry, "match": match, "result": result, "game": game, "frames": frames}

    @app.get("/runs/{run_id}/matches/{key:path}", response_class=HTMLResponse)
    async def watch_page(request: Request, run_id: str, key: str, step: int = 0) -> Response:
        data = _frames(run_id, key)
        frames = data["frames"].frames
        step = max(0, min(step, len(frames) - 1))
        url = f"/runs/{run_id}/matches/{quote(key, safe='/')}"
        return _page(
            request,
            "watch.html",
            {
                **data,
                "unclaimed": data["frames"].unclaimed_calls,
                "f": frames[step],
                "step": step,
                "last": len(frames) - 1,
                "url": url,
                "run_id": run_id,
                "key": key,
            },
        )

    @app.get("/api/runs/{run_id}/matches/{key:path}")
    async def api_match(run_id: str, key: str) -> JSONResponse:
        data = _frames(run_id, key)
        result = data["result"]

        def calls(cs: list[Any]) -> list[dict[str, Any]]:
            return [
                {
                    "seat": c.seat,
                    "call": c.call,
                    "agent": c.agent,
                    "model": c.model,
                    "messages": c.messages,
                    "reply": c.reply,
                    "action": c.action,
                    "cached": c.cached,
                }
                for c in cs
            ]

        return JSONResponse(
            {
                "key": key,
                "game": data["game"].id,
                "agents": list(result.agents),
                "returns": list(result.returns),
                "frames": [
                    {
                        "step": f.step,
                        "who": f.transition.who if f.transition else None,
                        "move": f.transition.text if f.transition else None,
                        "probability": f.transition.probability if f.transition else None,
                        "views": f.views,
                        "to_move": f.to_move,
                        "calls": {str(s): calls(cs) for s, cs in f.calls.items()},
                    }
                    for f in data["frames"].frames
                ],
                "unclaimed_calls": {
                    str(s): calls(cs) for s, cs in data["frames"].unclaimed_calls.items()
                },
            }
        )

    # ---- core war --------------------------------------------------------------------

    battles = Battles()

    battle_limiter = RateLimiter(BATTLES_PER_MINUTE)

    def _corewar_form(
        request: Request, form: dict[str, str], error: str | None = None, status: int = 400
    ) -> HTMLResponse:
        choices = warrior_choices(index)
        groups: dict[str, list[Any]] = {}
        for c in choices:
            groups.setdefault(c.group, []).append(c)
        context = {
            "groups": list(groups.items()),
            "form": form,
            "sides": SIDES,
            "max_chars": MAX_SOURCE_CHARS,
            "standard": STANDARD,
            "error": error,
        }
        return _page(request, "corewar_new.html", context, status if error else 200)

    def _battle(request: Request, bid: str) -> CoreWarBattle:
        battle = battles.find(bid)
        if battle is None:
            raise HttpError(
                404, f"no Core War battle {bid!r} on this server (battles end when it stops)"
            )
        if battle.owner != request.state.participant:
            raise HttpError(403, "this battle belongs to another participant")
        return battle

    @app.get("/corewar", response_class=HTMLResponse)
    async def corewar_form(request: Request, run: str = "", a: str = "", b: str = "") -> Response:
        picks = form_defaults(warrior_choices(index), run, a, b)
        return _corewar_form(request, {"warrior_a": picks["a"], "warrior_b": picks["b"]})

    @app.post("/corewar")
    async def corewar_start(request: Request) -> Response:
        form = await _form(request)
        who = request.state.participant
        if not battle_limiter.allows(who):
            wait = math.ceil(battle_limiter.wait_seconds(who))
            return _corewar_form(
                request,
                form,
                f"at most {BATTLES_PER_MINUTE} Core War battles a minute: try again in {wait} s",
                429,
            )
        try:
            battle = await asyncio.to_thread(start_battle, who, form, warrior_choices(index))
        except RedqueenError as err:
            return _corewar_form(request, form, str(err))
        battle_limiter.record(who)
        battles.add(battle)
        return RedirectResponse(f"/corewar/{battle.id}", status_code=303)

    @app.get("/corewar/{bid}", response_class=HTMLResponse)
    async def corewar_page(request: Request, bid: str, frame: int = 0) -> Response:
        return _page(request, "corewar.html", page_context(_battle(request, bid), frame))

    @app.get("/api/corewar/{bid}")
    async def api_corewar(request: Request, bid: str) -> JSONResponse:
        return JSONResponse(battle_json(_battle(request, bid)))

    @app.get("/api/corewar/{bid}/frames/{n}")
    async def api_corewar_frame(request: Request, bid: str, n: int) -> JSONResponse:
        return JSONResponse(frame_json(_battle(request, bid), n))

    @app.get("/api/corewar/{bid}/frames/{n}/cells/{address}")
    async def api_corewar_cells(request: Request, bid: str, n: int, address: int) -> JSONResponse:
        return JSONResponse(cells_json(_battle(request, bid), n, address))

    # ---- study -----------------------------------------------------------------------

    def _study() -> Study:
        if study is None:
            raise HttpError(404, "this server runs no study (start it with --study STUDY.yaml)")
        return study

    @app.get("/study", response_class=HTMLResponse)
    async def study_page(request: Request) -> Response:
        s = _study()
        p = s.participant(request.state.participant)
        remaining = s.remaining(p) if p else []
        return _page(
            request,
            "study.html",
            {"s": s, "p": p, "remaining": remaining, "total": s.total(), "games": s.games},
        )

    @app.post("/study/join")
    async def study_join(request: Request) -> Response:
        form = await _form(request)
        s = _study()
        if form.get("consent") != "yes":
            raise HttpError(400, "you can take part only after you agree to the consent text")
        s.join(request.state.participant, check_name(form.get("name", "")))
        return RedirectResponse("/study", status_code=303)

    @app.post("/study/next")
    async def study_next(request: Request) -> Response:
        await _form(request)
        s = _study()
        p = s.participant(request.state.participant)
        if p is None:
            raise HttpError(403, "join the study first (consent)")
        for sid in study_items:  # a match of theirs still going: back to it
            going = sessions.get(sid)
            if going and going.belongs_to(request.state.participant) and not going.finished:
                return RedirectResponse(f"/play/{sid}", status_code=303)
        remaining = s.remaining(p)
        if not remaining:
            return RedirectResponse("/study", status_code=303)
        item = remaining[0]
        game = s.games[item.game]
        opponent = build_opponent(s.config.opponents[item.opponent], game, roots)
        session = await start_session(
            owner=request.state.participant,
            person=p.name,
            game=game,
            seat=item.seat,
            opponents=[opponent],
            runs=s.runs,
            seed=item.seed,
            key=s.key(p, item, "{session}"),
            limiter=limiter,
            study_item=item.index,
        )
        study_items[session.id] = item.index
        _remember(session)
        if session.finished:  # a match the person never moves in: stored at once
            _after(request, session)
        return RedirectResponse(f"/play/{session.id}", status_code=303)

    @app.get("/study/results", response_class=HTMLResponse)
    async def study_results(request: Request) -> Response:
        s = _study()
        return _page(
            request,
            "study_results.html",
            {"s": s, "summary": s.summary_rows(), "rows": s.match_rows()},
        )

    @app.get("/study/export/{name}")
    async def study_export(name: str) -> Response:
        s = _study()
        table, _, fmt = name.partition(".")
        if table not in ("summary", "matches") or fmt not in ("csv", "parquet"):
            raise HttpError(
                404,
                f"no export {name!r}; allowed: summary.csv, summary.parquet, matches.csv, "
                "matches.parquet",
            )
        rows = s.summary_rows() if table == "summary" else s.match_rows()
        filename = f"{s.config.name}-{table}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if fmt == "csv":
            return Response(to_csv(rows), media_type="text/csv", headers=headers)
        try:
            data = to_parquet(rows)
        except RedqueenError as err:
            raise HttpError(501, str(err)) from None
        return Response(data, media_type="application/vnd.apache.parquet", headers=headers)

    app.state.sessions = sessions
    app.state.index = index
    app.state.limiter = limiter
    app.state.study = study
    return app
