// redqueen serve: the little the pages need beyond HTML. Every page works without it.
(function () {
  "use strict";

  // Follow: refresh the live part of a run's page until the run is finished.
  const live = document.getElementById("live");
  if (live) {
    const url = live.dataset.liveUrl;
    const every = 1000 * parseFloat(live.dataset.poll || "2");
    const finished = function () {
      const part = live.querySelector(".live");
      return part !== null && part.dataset.finished === "1";
    };
    const tick = function () {
      if (finished()) {
        return;
      }
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          return response.ok ? response.text() : null;
        })
        .then(function (html) {
          if (html !== null) {
            live.innerHTML = html;
          }
        })
        .catch(function () {
          // the server is gone for now: try again at the next tick
        })
        .finally(function () {
          setTimeout(tick, every);
        });
    };
    setTimeout(tick, every);
  }

  // Watch: arrow keys step through a match.
  const steps = document.getElementById("steps");
  if (steps) {
    const keys = { ArrowLeft: "prev", ArrowRight: "next", Home: "first", End: "end" };
    document.addEventListener("keydown", function (event) {
      if (event.target instanceof HTMLInputElement) {
        return;
      }
      const link = keys[event.key] && document.getElementById(keys[event.key]);
      if (link) {
        event.preventDefault();
        link.click();
      }
    });
  }

  // Play: show the chosen game's players and parameters under the game list.
  const data = document.getElementById("games-data");
  const select = document.getElementById("game");
  const hint = document.getElementById("game-hint");
  if (data && select && hint) {
    const games = {};
    JSON.parse(data.textContent).forEach(function (g) {
      games[g.id] = g;
    });
    const show = function () {
      const g = games[select.value];
      if (!g) {
        hint.textContent = "";
        return;
      }
      const params = Object.keys(g.parameters).map(function (name) {
        const value = g.parameters[name];
        return g.required.indexOf(name) >= 0 ? name + " (required)" : name + "=" + JSON.stringify(value);
      });
      hint.textContent =
        g.summary +
        (g.players ? "; " + g.players + " players" : "") +
        (params.length ? "; parameters: " + params.join(", ") : "; no parameters");
    };
    select.addEventListener("change", show);
    show();
  }
})();
