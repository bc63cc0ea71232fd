// The map builder: the connections map page without page reloads. Loaded only where the map can change.
//
// Without this script every part of the page is a plain form that works on its own (add, change, ties, remove,
// undo). With it, those forms are posted with fetch; the server answers with the builder part of the page
// (views.FRAGMENT), drawn by the same template as the full page, and it is swapped in place. On top of the
// forms, entries on the drawing (the contract with render.py: g.app-map-entry with data-entry-id, data-ring and
// data-sector; zones with data-ring and data-sector; ties as line.app-map-tie with data-a and data-b) can be:
// selected (click, Enter or Space) to open their details; dragged to another ring or relationship, or moved
// with the arrow keys; dropped on another entry to tie or untie the two; taken off with Delete.
// Nothing here writes a style attribute or evaluates text as code (the page's Content-Security-Policy).

const FRAGMENT = "text/html-fragment";
const RINGS = ["close", "middle", "outer"]; // from the centre out: domain.Ring
// domain.Category, clockwise from twelve o'clock; used when the drawing has no zones to read the order from.
const SECTORS = [
  "family",
  "partner",
  "friend",
  "neighbour",
  "work_education",
  "community_group",
  "faith",
  "peer_support",
  "online",
  "services",
];
const TARGET_PX = 44; // the least touch target (WCAG 2.5.5), where entries are far enough apart
const DRAG_START_PX = 6; // a pointer that moves less than this is a click
const AUTOSAVE_MS = 400; // a select or radio changed with the arrow keys settles before it is saved
const SVG_NS = "http://www.w3.org/2000/svg";

const builder = document.querySelector("[data-map-builder]");
if (builder) {
  start(builder);
}

function start(builder) {
  const announcer = document.getElementById("map-announcer");
  const entriesUrl = builder.dataset.entriesUrl;
  let queue = Promise.resolve();
  let completed = 0; // answers swapped in so far (see `freshVersion`)
  let drag = null; // the drag under way
  let heldSwap = null; // an answer that arrived during a drag, swapped in when it ends
  const timers = new WeakMap();

  let tying = null; // the entry chosen with T, waiting for the one to tie it to

  enhance();
  if (stateOf().added === "1") {
    place("add", stateOf()); // the page after the first entry: ready for the next name
  }
  builder.addEventListener("submit", onSubmit);
  builder.addEventListener("change", onChange);
  builder.addEventListener("click", onClick);
  builder.addEventListener("keydown", onKeydown);
  builder.addEventListener("pointerdown", onPointerDown);
  window.addEventListener("resize", () => {
    sizeTargets();
    // Another width may show the labels in another size, cut or wrapped differently.
    for (const entry of builder.querySelectorAll("svg.app-connections-map g.app-map-entry")) {
      entry.setAttribute("aria-label", describe(entry));
    }
  });

  // --- talking to the server ------------------------------------------------------------------------------

  /** Queue a request: one at a time, in order, each reading the page as the previous answer left it.
      `body` is a function called just before sending (null: nothing to send). */
  function send(url, { method = "POST", body = null, focus = null } = {}) {
    queue = queue
      .then(() => {
        const data = body ? body() : null;
        if (body && data === null) {
          return undefined;
        }
        return exchange(url, method, data, focus);
      })
      .catch(() => problem("Something went wrong and the change may not have been saved. Reload the page to see the map as it is."));
    return queue;
  }

  async function exchange(url, method, data, focus) {
    builder.setAttribute("aria-busy", "true");
    let response;
    try {
      response = await fetch(url, {
        method,
        body: data,
        headers: { Accept: FRAGMENT },
        credentials: "same-origin",
      });
    } catch {
      builder.removeAttribute("aria-busy");
      problem("The change could not be sent. Check the connection, then try again.");
      return;
    }
    if (response.headers.get("X-Map-Fragment") !== "1") {
      builder.removeAttribute("aria-busy");
      if (response.redirected) {
        window.location.assign(response.url); // signed out, most likely: the sign-in page
      } else if (response.status === 404) {
        problem("That entry is no longer on the map: someone else may have taken it off. Reload the page to see the map as it is.");
      } else {
        problem("Something went wrong and the change may not have been saved. Reload the page to see the map as it is.");
      }
      return;
    }
    const html = await response.text();
    // A message from the page's first load ("Map started") is old news once the map changes in place.
    for (const banner of document.querySelectorAll("main .nhsuk-notification-banner--success")) {
      banner.remove();
    }
    const finish = () => {
      swap(html, focus);
      completed += 1;
      builder.removeAttribute("aria-busy");
    };
    if (drag) {
      heldSwap = finish;
    } else {
      finish();
    }
  }

  function swap(html, focus) {
    const addBox = builder.querySelector("#id_label");
    const typedSince = addBox ? addBox.value : "";
    const template = document.createElement("template");
    template.innerHTML = html;
    builder.replaceChildren(template.content);
    enhance();
    const state = stateOf();
    const newAddBox = builder.querySelector("#id_label");
    const addRefused = newAddBox && newAddBox.closest(".nhsuk-form-group--error");
    if (newAddBox && !addRefused && typedSince) {
      newAddBox.value = typedSince; // typed while the last entry was being saved
    }
    // The address names the entry whose details are open, so that reloading the page shows the same.
    const url = new URL(window.location.href);
    if (state.selectedEntry) {
      url.searchParams.set("entry", state.selectedEntry);
    } else {
      url.searchParams.delete("entry");
    }
    url.searchParams.delete("added");
    url.hash = "";
    if (url.href !== window.location.href) {
      window.history.replaceState(null, "", url);
    }
    say(state.announce);
    place(focus, state);
  }

  function stateOf() {
    const state = builder.querySelector(".app-map-builder__state");
    return state ? state.dataset : {};
  }

  /** Where the focus goes after an answer. */
  function place(focus, state) {
    const summary = builder.querySelector(".nhsuk-error-summary");
    if (summary) {
      summary.setAttribute("tabindex", "-1");
      summary.focus();
      return;
    }
    let target = null;
    if (focus === "add") {
      target = builder.querySelector("#id_label");
    } else if (focus === "undo") {
      target = builder.querySelector(".app-map-undo");
    } else if (focus === "panel") {
      target = builder.querySelector("#entry-details-title");
    } else if (focus === "selected") {
      target = entryOnMap(state.selectedEntry);
    } else if (focus && focus.entry) {
      target = entryOnMap(focus.entry);
    } else if (focus && focus.control) {
      target = document.getElementById(focus.control);
    }
    if (!target && state.error === "1") {
      target = builder.querySelector("#map-notice");
    }
    if (target) {
      target.focus({ preventScroll: focus && focus.entry !== undefined });
      if (target === builder.querySelector("#id_label")) {
        target.setSelectionRange(target.value.length, target.value.length);
      }
    }
  }

  function say(text) {
    if (!announcer || !text) {
      return;
    }
    announcer.textContent = "";
    window.setTimeout(() => {
      announcer.textContent = text;
    }, 50);
  }

  /** A problem the server could not tell us about, shown at the top of the builder and said aloud. */
  function problem(text) {
    builder.removeAttribute("aria-busy");
    let box = builder.querySelector(".app-map-problem");
    if (!box) {
      box = document.createElement("div");
      box.className = "nhsuk-error-message app-map-problem";
      box.setAttribute("role", "alert");
      builder.prepend(box);
    }
    box.textContent = text;
  }

  function csrfToken() {
    const input = builder.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /** The version of entry `id` as the page now shows it (the table carries it). */
  function versionOf(id) {
    const row = builder.querySelector(`tr[data-entry-id="${CSS.escape(String(id))}"]`);
    return row ? row.dataset.version : "0";
  }

  /** Form data captured when the user acted; if answers of ours came in since (each moves versions on), the
      entry's version as it is now, so that a quick second change does not refuse itself as stale. */
  function freshVersion(data, id, capturedAt) {
    if (id && data.has("version") && completed > capturedAt) {
      data.set("version", versionOf(id));
    }
    return data;
  }

  // --- forms -----------------------------------------------------------------------------------------------

  function onSubmit(event) {
    const form = event.target.closest("form[data-map-action]");
    if (!form) {
      return;
    }
    event.preventDefault();
    const action = form.dataset.mapAction;
    const data = new FormData(form);
    const capturedAt = completed;
    const entryId = entryIdOf(form);
    let focus = null;
    if (action === "add") {
      const box = form.querySelector("#id_label");
      if (box) {
        box.value = ""; // ready for the next name straight away
      }
      focus = "add";
    } else if (action === "remove") {
      focus = "undo";
    } else if (action === "restore") {
      focus = "selected";
    } else {
      const active = document.activeElement;
      focus = active && active.id && form.contains(active) ? { control: active.id } : "panel";
    }
    send(form.action, { body: () => freshVersion(data, entryId, capturedAt), focus });
  }

  function entryIdOf(form) {
    const row = form.closest("tr[data-entry-id]");
    if (row) {
      return row.dataset.entryId;
    }
    const panel = form.closest("[data-entry-id]");
    return panel ? panel.dataset.entryId : null;
  }

  /** The details and ties of the selected entry save as they change: ticks at once, choices once settled. */
  function onChange(event) {
    const form = event.target.closest("form[data-map-action='details'], form[data-map-action='ties']");
    if (!form) {
      return;
    }
    const control = event.target;
    const settle = control.type === "checkbox" || control.type === "text" ? 0 : AUTOSAVE_MS;
    window.clearTimeout(timers.get(form));
    timers.set(
      form,
      window.setTimeout(() => {
        if (form.isConnected) {
          form.requestSubmit();
        }
      }, settle),
    );
  }

  function onClick(event) {
    const link = event.target.closest("a[data-map-select]");
    if (link) {
      event.preventDefault();
      select(link.dataset.mapSelect, "panel");
      return;
    }
    // An error summary swapped in: its links go to the field itself, as the design system's script does on a page.
    const problemLink = event.target.closest(".nhsuk-error-summary a[href^='#']");
    const field = problemLink && document.getElementById(problemLink.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
    }
  }

  function select(id, focus) {
    const url = new URL(window.location.href);
    url.searchParams.set("entry", id);
    url.searchParams.delete("added");
    url.hash = "";
    send(url.pathname + url.search, { method: "GET", focus });
  }

  // --- the drawing -----------------------------------------------------------------------------------------

  function entryOnMap(id) {
    if (!id) {
      return null;
    }
    return builder.querySelector(`g.app-map-entry[data-entry-id="${CSS.escape(String(id))}"]`);
  }

  /** Make the drawing's entries controls: named, focusable, with a touch target, the selected one marked. */
  function enhance() {
    const svg = builder.querySelector("svg.app-connections-map");
    if (!svg) {
      return;
    }
    // A picture of buttons rather than a flat image, now that its entries can be used.
    svg.setAttribute("role", "group");
    svg.classList.add("app-map-canvas--live");
    const selected = stateOf().selectedEntry;
    const help = builder.querySelector("#map-keys");
    for (const entry of svg.querySelectorAll("g.app-map-entry")) {
      // A label drawn on two lines is two tspans with nothing between them; once the entry is a button its text
      // is read as words, so a space goes between the lines ("Hearing Voices", not "HearingVoices").
      for (const line of entry.querySelectorAll("text tspan + tspan")) {
        if (!line.previousSibling || line.previousSibling.nodeType !== Node.TEXT_NODE) {
          line.before(document.createTextNode(" "));
        }
      }
      entry.setAttribute("tabindex", "0");
      entry.setAttribute("role", "button");
      entry.setAttribute("aria-label", describe(entry));
      if (help) {
        entry.setAttribute("aria-describedby", "map-keys");
      }
      entry.classList.toggle("app-map-entry--selected", entry.dataset.entryId === selected);
      // The drawing gives each entry its touch targets (rect.app-map-entry__target, one per text size); a
      // drawing without them gets a circle here.
      if (!entry.querySelector(".app-map-entry__target, .app-map-entry__hit")) {
        const shape = entry.querySelector(".app-map-shape") || [...entry.children].find((child) => child.tagName !== "title" && child.tagName !== "text");
        const hit = document.createElementNS(SVG_NS, "circle");
        hit.setAttribute("class", "app-map-entry__hit");
        if (shape) {
          const box = shape.getBBox();
          hit.setAttribute("cx", String(box.x + box.width / 2));
          hit.setAttribute("cy", String(box.y + box.height / 2));
          hit.dataset.least = String(Math.max(box.width, box.height) / 2 + 2);
        }
        entry.insertBefore(hit, entry.firstChild === entry.querySelector("title") ? entry.children[1] : entry.firstChild);
      }
    }
    sizeTargets();
  }

  /** Each entry's touch target: TARGET_PX across on screen, or less where entries sit closer than that (then
      half the distance to the nearest, so targets never overlap), never less than the shape itself. */
  function sizeTargets() {
    const svg = builder.querySelector("svg.app-connections-map");
    const matrix = svg && svg.getScreenCTM();
    if (!matrix || !matrix.a) {
      return;
    }
    const wanted = TARGET_PX / 2 / matrix.a;
    const hits = [...svg.querySelectorAll(".app-map-entry__hit")];
    const points = hits.map((hit) => [Number(hit.getAttribute("cx")), Number(hit.getAttribute("cy"))]);
    hits.forEach((hit, index) => {
      let nearest = Infinity;
      points.forEach((point, other) => {
        if (other !== index) {
          nearest = Math.min(nearest, Math.hypot(point[0] - points[index][0], point[1] - points[index][1]));
        }
      });
      const least = Number(hit.dataset.least || 0);
      hit.setAttribute("r", String(Math.max(least, Math.min(wanted, nearest / 2))));
    });
  }

  /** "Sam: person, friend, middle ring", from the table row of the entry. */
  function describe(entry) {
    const row = builder.querySelector(`tr[data-entry-id="${CSS.escape(entry.dataset.entryId)}"]`);
    const name = nameOf(entry);
    if (!row) {
      return name;
    }
    const [kind, relationship, ring] = [...row.querySelectorAll("td")].map((cell) => cell.textContent.trim().toLowerCase());
    // A label drawn shorter than the name is said as drawn first, so that what is seen is part of what is heard.
    const shown = shownLabel(entry);
    const called = shown && shown !== name ? `${shown} (${name})` : name;
    return `${called}: ${kind}, ${relationship}, ${ring} ring`;
  }

  /** The entry's label as the page shows it now: the drawing carries it in several sizes, one shown at a time,
      and may break it over lines. Empty when none is shown. */
  function shownLabel(entry) {
    const text = [...entry.querySelectorAll("text")].find((candidate) => candidate.getClientRects().length > 0);
    if (!text) {
      return "";
    }
    const lines = [...text.querySelectorAll("tspan")].map((line) => line.textContent.trim());
    return (lines.length ? lines.join(" ") : text.textContent).trim();
  }

  function sectorOrder() {
    const seen = [];
    for (const zone of builder.querySelectorAll(".app-map-zone[data-sector]")) {
      if (!seen.includes(zone.dataset.sector)) {
        seen.push(zone.dataset.sector);
      }
    }
    return seen.length ? seen : SECTORS;
  }

  function move(id, ring, sector, focus) {
    send(`${entriesUrl}${id}/move/`, {
      focus,
      body: () => {
        const data = new FormData();
        data.set("csrfmiddlewaretoken", csrfToken());
        data.set("ring", ring());
        data.set("category", sector());
        data.set("version", versionOf(id));
        return data;
      },
    });
  }

  /** Move entry `id` by `rings` (+1: further out) and `sectors` (+1: clockwise), from wherever the last answer
      left it, so that quick presses add up. */
  function step(id, rings, sectors) {
    const here = () => entryOnMap(id);
    const order = sectorOrder();
    let blocked = false;
    const ring = () => {
      const index = RINGS.indexOf(here().dataset.ring) + rings;
      blocked = index < 0 || index >= RINGS.length;
      return RINGS[Math.min(Math.max(index, 0), RINGS.length - 1)];
    };
    const sector = () => {
      const index = order.indexOf(here().dataset.sector) + sectors;
      return order[(index + order.length) % order.length];
    };
    send(`${entriesUrl}${id}/move/`, {
      focus: { entry: id },
      body: () => {
        if (!here()) {
          return null;
        }
        const data = new FormData();
        data.set("csrfmiddlewaretoken", csrfToken());
        data.set("ring", ring());
        data.set("category", sector());
        if (blocked) {
          say(rings < 0 ? "Already in the close ring." : "Already in the outer ring.");
          return null;
        }
        data.set("version", versionOf(id));
        return data;
      },
    });
  }

  function onKeydown(event) {
    const entry = event.target.closest && event.target.closest("g.app-map-entry");
    if (!entry || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    const id = entry.dataset.entryId;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (event.key in moves) {
      event.preventDefault();
      step(id, ...moves[event.key]);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      select(id, "panel");
    } else if (event.key === "t" || event.key === "T") {
      event.preventDefault();
      if (tying && tying !== id) {
        const first = tying;
        tying = null;
        toggleTie(first, id);
      } else {
        tying = id;
        markTying();
        say(`Tie ${nameOf(entry)} to: move to another entry and press T. Press Escape to stop.`);
      }
    } else if (event.key === "Escape" && tying) {
      tying = null;
      markTying();
      say("Not tied.");
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      const data = new FormData();
      data.set("csrfmiddlewaretoken", csrfToken());
      send(`${entriesUrl}${id}/remove/`, {
        focus: "undo",
        body: () => {
          data.set("version", versionOf(id));
          return data;
        },
      });
    }
  }

  function nameOf(entry) {
    const title = entry.querySelector("title");
    return title ? title.textContent : entry.textContent;
  }

  /** Show which entry waits to be tied (T pressed on it). */
  function markTying() {
    for (const entry of builder.querySelectorAll("g.app-map-entry")) {
      entry.classList.toggle("app-map-entry--tying", entry.dataset.entryId === tying);
    }
  }

  // --- dragging --------------------------------------------------------------------------------------------

  function onPointerDown(event) {
    const entry = event.target.closest && event.target.closest("g.app-map-entry");
    if (!entry || event.button !== 0 || drag) {
      return;
    }
    const svg = entry.ownerSVGElement;
    drag = { entry, svg, id: entry.dataset.entryId, x: event.clientX, y: event.clientY, moving: false, over: null };
    entry.setPointerCapture(event.pointerId);
    entry.addEventListener("pointermove", onPointerMove);
    entry.addEventListener("pointerup", onPointerUp);
    entry.addEventListener("pointercancel", onPointerCancel);
  }

  function onPointerMove(event) {
    if (!drag) {
      return;
    }
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moving && Math.hypot(dx, dy) < DRAG_START_PX) {
      return;
    }
    drag.moving = true;
    drag.entry.classList.add("app-map-entry--dragging");
    const matrix = drag.svg.getScreenCTM();
    drag.entry.setAttribute("transform", `translate(${dx / matrix.a} ${dy / matrix.d})`);
    mark(dropTarget(event.clientX, event.clientY));
  }

  function dropTarget(x, y) {
    for (const element of document.elementsFromPoint(x, y)) {
      const other = element.closest("g.app-map-entry");
      if (other && other !== drag.entry) {
        return other;
      }
      if (element.matches(".app-map-zone[data-ring][data-sector]")) {
        return element;
      }
    }
    return null;
  }

  function mark(target) {
    if (drag.over && drag.over !== target) {
      drag.over.classList.remove("app-map-drop-target");
    }
    drag.over = target;
    if (target) {
      target.classList.add("app-map-drop-target");
    }
  }

  function endDrag() {
    const ended = drag;
    ended.entry.removeEventListener("pointermove", onPointerMove);
    ended.entry.removeEventListener("pointerup", onPointerUp);
    ended.entry.removeEventListener("pointercancel", onPointerCancel);
    ended.entry.classList.remove("app-map-entry--dragging");
    if (ended.over) {
      ended.over.classList.remove("app-map-drop-target");
    }
    drag = null;
    return ended;
  }

  function onPointerUp(event) {
    if (!drag) {
      return;
    }
    const target = drag.moving ? dropTarget(event.clientX, event.clientY) : null;
    const ended = endDrag();
    if (!ended.moving) {
      if (heldSwap) {
        heldSwap();
        heldSwap = null;
      }
      select(ended.id, { entry: ended.id });
      return;
    }
    let changed = false;
    if (target && target.matches("g.app-map-entry")) {
      changed = true;
      toggleTie(ended.id, target.dataset.entryId);
    } else if (target && (target.dataset.ring !== ended.entry.dataset.ring || target.dataset.sector !== ended.entry.dataset.sector)) {
      changed = true;
      move(ended.id, () => target.dataset.ring, () => target.dataset.sector, { entry: ended.id });
    }
    if (!changed) {
      ended.entry.removeAttribute("transform");
    }
    if (heldSwap) {
      heldSwap();
      heldSwap = null;
    }
  }

  function onPointerCancel() {
    if (!drag) {
      return;
    }
    endDrag().entry.removeAttribute("transform");
    if (heldSwap) {
      heldSwap();
      heldSwap = null;
    }
  }

  /** Tie two entries, or untie them if they are tied: the ties form of the first, with the second ticked or
      not, as the details panel would send it. */
  function toggleTie(id, otherId) {
    send(`${entriesUrl}${id}/ties/`, {
      focus: { entry: id },
      body: () => {
        const tied = new Set();
        for (const line of builder.querySelectorAll("line.app-map-tie")) {
          if (line.dataset.a === id) {
            tied.add(line.dataset.b);
          } else if (line.dataset.b === id) {
            tied.add(line.dataset.a);
          }
        }
        if (tied.has(otherId)) {
          tied.delete(otherId);
        } else {
          tied.add(otherId);
        }
        const data = new FormData();
        data.set("csrfmiddlewaretoken", csrfToken());
        data.set("version", versionOf(id));
        for (const other of tied) {
          data.append("ties", other);
        }
        return data;
      },
    });
  }
}
