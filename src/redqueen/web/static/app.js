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

  // Core War: draw the core map of each frame, step and play without reloading.
  const map = document.getElementById("core-map");
  if (map) {
    const api = map.dataset.api;
    const base = map.dataset.url;
    const size = parseInt(map.dataset.coresize, 10);
    const last = parseInt(map.dataset.last, 10);
    const cols = size >= 4000 ? 100 : Math.ceil(Math.sqrt(size * 2));
    const rows = Math.ceil(size / cols);
    const px = Math.max(3, Math.min(12, Math.floor(720 / cols)));
    const cell = ["#f2a7a7", "#a9c3f0", "#b8e0a6", "#f0d89a"];
    const dot = ["#a51d1d", "#1d4fa5", "#2d7a1a", "#9a6d0b"];
    const empty = "#e6e6ec";
    const frames = new Map();
    const ctx = map.getContext("2d");
    let current = parseInt(map.dataset.frame, 10);
    let timer = null;
    let selected = null; // the cell clicked, whose neighbourhood is listed
    map.width = cols * px;
    map.height = rows * px;

    const load = function (n) {
      if (frames.has(n)) {
        return Promise.resolve(frames.get(n));
      }
      return fetch(api + "/frames/" + n, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : Promise.reject(new Error(response.statusText));
        })
        .then(function (frame) {
          frames.set(n, frame);
          return frame;
        });
    };
    const draw = function (frame) {
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, map.width, map.height);
      for (let a = 0; a < size; a++) {
        const owner = frame.owners.charAt(a);
        ctx.fillStyle = owner === "." ? empty : cell[parseInt(owner, 10) % cell.length];
        ctx.fillRect((a % cols) * px, Math.floor(a / cols) * px, px - 1, px - 1);
      }
      frame.queues.forEach(function (queue, k) {
        ctx.fillStyle = dot[k % dot.length];
        const seen = new Set();
        queue.forEach(function (a) {
          if (!seen.has(a)) {
            seen.add(a);
            ctx.fillRect((a % cols) * px + 1, Math.floor(a / cols) * px + 1, px - 3, px - 3);
          }
        });
        if (queue.length) {
          ctx.strokeStyle = "#000000";
          ctx.lineWidth = 1;
          const a = queue[0];
          ctx.strokeRect((a % cols) * px - 0.5, Math.floor(a / cols) * px - 0.5, px, px);
        }
      });
    };
    const listCells = function (n, a) {
      fetch(api + "/frames/" + n + "/cells/" + a, { credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data === null || data.index !== current) {
            return;
          }
          document.getElementById("cell-text").textContent = data.cells
            .map(function (c) {
              const who = c.owner < 0 ? "  " : "w" + c.owner;
              const mark = c.address === a ? "> " : "  ";
              return mark + String(c.address).padStart(5) + " " + who + "  " + c.text;
            })
            .join("\n");
        });
    };
    const setLink = function (id, n) {
      const link = document.getElementById(id);
      if (link) {
        link.href = base + "?frame=" + n;
      }
    };
    const show = function (n) {
      n = Math.max(0, Math.min(last, n));
      return load(n).then(function (frame) {
        current = n;
        draw(frame);
        document.getElementById("frame-label").textContent = "frame " + n + " of " + last;
        document.getElementById("cycle").textContent = frame.cycle;
        document.getElementById("turns").textContent = frame.turns;
        document.getElementById("jump").value = n;
        frame.queues.forEach(function (queue, k) {
          document.getElementById("procs-" + k).textContent = frame.processes[k];
          document.getElementById("queue-" + k).textContent =
            queue.slice(0, 8).join(", ") + (queue.length > 8 ? ", …" : "");
        });
        if (selected === null) {
          document.getElementById("cell-text").textContent = frame.next
            .map(function (x) {
              return "w" + x.warrior + " at " + x.address + ": " + x.text;
            })
            .join("\n");
        } else {
          listCells(n, selected);
        }
        setLink("prev", Math.max(0, n - 1));
        setLink("next", Math.min(last, n + 1));
        map.dataset.frame = n;
        history.replaceState(null, "", base + "?frame=" + n);
      });
    };
    const play = document.getElementById("play");
    const stop = function () {
      if (timer !== null) {
        clearTimeout(timer);
        timer = null;
      }
      play.textContent = "▶ play";
    };
    const step = function () {
      if (current >= last) {
        stop();
        return;
      }
      show(current + 1).then(function () {
        if (timer !== null) {
          timer = setTimeout(step, 80);
        }
      }, stop);
    };
    play.hidden = false;
    play.addEventListener("click", function () {
      if (timer !== null) {
        stop();
        return;
      }
      if (current >= last) {
        current = -1;
      }
      play.textContent = "❚❚ pause";
      timer = setTimeout(step, 0);
    });
    const targets = {
      first: function () { return 0; },
      prev: function () { return current - 1; },
      next: function () { return current + 1; },
      end: function () { return last; },
    };
    Object.keys(targets).forEach(function (id) {
      document.getElementById(id).addEventListener("click", function (event) {
        event.preventDefault();
        stop();
        show(targets[id]());
      });
    });
    document.getElementById("jump-form").addEventListener("submit", function (event) {
      event.preventDefault();
      stop();
      show(parseInt(document.getElementById("jump").value, 10) || 0);
    });
    map.addEventListener("click", function (event) {
      const box = map.getBoundingClientRect();
      const x = Math.floor((event.clientX - box.left) * (map.width / box.width) / px);
      const y = Math.floor((event.clientY - box.top) * (map.height / box.height) / px);
      const a = y * cols + x;
      if (x < 0 || x >= cols || a < 0 || a >= size) {
        return;
      }
      selected = a;
      document.getElementById("cell-note").textContent =
        "The cells around " + a + " (w0, w1: who wrote it last); they follow the frames.";
      listCells(current, a);
    });
    show(current);
  }
})();
