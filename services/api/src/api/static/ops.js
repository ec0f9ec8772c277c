// The operations page: fed by server-sent events from /ops/page/events, no library, no build step.
"use strict";

const HISTORY = 120; // samples of lag kept for the chart: two minutes at one a second
const COLOURS = { registration: "#1f77b4", sponsorship: "#2ca02c", travel: "#d62728", notifications: "#9467bd" };
const FIGURES = [
  ["registered", "registered"], ["sponsored", "sponsored"], ["waitlisted", "waitlisted"],
  ["ticketed", "ticketed"], ["emailed", "e-mailed"], ["violations", "violations"],
];
const lagHistory = []; // [{at, groups: {name: lag}}]
let peak = 0;
let canReplay = false;

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null) continue;
    if (name === "style") node.style.cssText = value; // CSSOM: the page's policy forbids style attributes
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  return node;
}

function time(iso) {
  return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) : "";
}

function fill(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// ----------------------------------------------------------------------------------------------------------- lag

function onLag(report) {
  const groups = {};
  for (const group of report.groups) groups[group.group] = group.lag;
  lagHistory.push({ at: report.at, groups });
  if (lagHistory.length > HISTORY) lagHistory.shift();
  const total = Object.values(groups).reduce((a, b) => a + b, 0);
  peak = Math.max(peak, total);
  drawChart();
  const chart = document.getElementById("lag-chart");
  chart.dataset.samples = String(Number(chart.dataset.samples) + 1);
  chart.dataset.peak = String(peak);
  chart.dataset.last = String(total);
  fill(document.querySelector("#lag-table tbody"), report.groups.map((group) =>
    el("tr", { "data-group": group.group, class: group.stuck ? "stuck" : null },
      el("td", {}, el("span", { class: "swatch", style: `background:${COLOURS[group.group] || "#555"}` }), group.group),
      el("td", { class: "number" }, group.lag),
      el("td", {}, group.stuck ? `stuck since ${time(group.still_since)}` : group.lag ? "reading" : "caught up"))));
}

function drawChart() {
  const chart = document.getElementById("lag-chart");
  const width = 600, height = 180, left = 40, bottom = 20, top = 8;
  const names = [...new Set(lagHistory.flatMap((sample) => Object.keys(sample.groups)))].sort();
  const highest = Math.max(10, ...lagHistory.flatMap((sample) => Object.values(sample.groups)));
  const x = (i) => left + (i + HISTORY - lagHistory.length) * (width - left - 4) / (HISTORY - 1);
  const y = (lag) => top + (height - top - bottom) * (1 - lag / highest);
  const parts = [
    svg("line", { x1: left, y1: y(0), x2: width - 4, y2: y(0), class: "axis" }),
    svg("line", { x1: left, y1: top, x2: left, y2: y(0), class: "axis" }),
  ];
  for (const [value, label] of [[0, "0"], [highest, String(highest)]]) {
    const text = svg("text", { x: left - 4, y: y(value) + 4, class: "tick" });
    text.textContent = label;
    parts.push(text);
  }
  const caption = svg("text", { x: width - 4, y: height - 4, class: "tick end" });
  caption.textContent = "last 2 minutes";
  parts.push(caption);
  names.forEach((name, index) => {
    const points = lagHistory.map((sample, i) => `${x(i).toFixed(1)},${y(sample.groups[name] || 0).toFixed(1)}`);
    parts.push(svg("polyline", { points: points.join(" "), class: "series", "data-group": name,
      stroke: COLOURS[name] || "#555" }));
    const legend = svg("text", { x: left + 8 + index * 130, y: top + 10, class: "legend", fill: COLOURS[name] || "#555" });
    legend.textContent = name;
    parts.push(legend);
  });
  chart.replaceChildren(...parts);
}

// --------------------------------------------------------------------------------------------------------- rates

const ratePeaks = {}; // the highest rate seen for each topic since the page opened

function onRates(message) {
  for (const [topic, rate] of Object.entries(message.topics)) ratePeaks[topic] = Math.max(ratePeaks[topic] || 0, rate);
  const topics = Object.entries(message.topics).filter(([topic]) => !topic.endsWith(".dlq") || message.topics[topic]);
  const highest = Math.max(1, ...topics.map(([, rate]) => rate));
  fill(document.querySelector("#rates-table tbody"), topics.map(([topic, rate]) =>
    el("tr", { "data-topic": topic, "data-peak": ratePeaks[topic].toFixed(1) },
      el("td", {}, topic),
      el("td", { class: "number" }, rate.toFixed(1)),
      el("td", { class: "bar" }, el("span", { style: `width:${(100 * rate / highest).toFixed(0)}%` })))));
}

// -------------------------------------------------------------------------------------------------------- boards

function onBoards(boards) {
  const container = document.getElementById("boards");
  if (!boards.length) {
    container.replaceChildren(el("p", { class: "hint" }, "No workshop yet."));
    return;
  }
  container.replaceChildren(...boards.map((board) => {
    if (board.problem) {
      return el("article", { class: "board", "data-workshop": board.workshop },
        el("h3", {}, board.workshop), el("p", { class: "refused" }, board.problem));
    }
    const violated = board.violations > 0;
    return el("article", { class: violated ? "board violated" : "board", "data-workshop": board.workshop },
      el("h3", {}, board.workshop),
      el("p", { class: "status" }, `${board.status} · venue version ${board.venue_version}`
        + (board.emails_pending ? ` · ${board.emails_pending} e-mails waiting` : "")),
      el("dl", {}, ...FIGURES.flatMap(([key, label]) => [
        el("dt", {}, label),
        el("dd", { "data-figure": key, class: key === "violations" && violated ? "bad" : null },
          board[key], key === "violations" && violated ? ` (${board.violated.join(", ")})` : null),
      ])));
  }));
}

// -------------------------------------------------------------------------------------------------- dead letters

function onDeadLetters(letters) {
  document.getElementById("dead-letter-count").textContent = String(letters.length);
  fill(document.querySelector("#dead-letter-table tbody"), letters.map((letter) =>
    el("tr", { "data-letter": letter.id },
      el("td", { class: "id" }, letter.id),
      el("td", {}, letter.topic),
      el("td", {}, letter.consumer),
      el("td", {}, letter.event_type),
      el("td", {}, letter.key),
      el("td", { class: "reason" }, letter.reason),
      el("td", { class: "number" }, letter.attempts ?? ""),
      el("td", {}, time(letter.last_attempt_at || letter.dead_lettered_at)),
      el("td", {}, letter.replayed_at.map(time).join(", ")),
      el("td", {}, canReplay ? replayButton(letter) : null))));
}

function replayButton(letter) {
  const button = el("button", { type: "button", class: "replay", "data-letter": letter.id },
    letter.replayed_at.length ? "Replay again" : "Replay");
  button.addEventListener("click", () => replay(letter.id, button));
  return button;
}

async function replay(id, button) {
  const answer = document.getElementById("replay-answer");
  if (!window.confirm(`Put ${id} back for the consumer that failed it?`)) return;
  button.disabled = true;
  const response = await fetch("/ops/page/replay", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ id }),
  });
  const body = await response.json().catch(() => ({}));
  if (response.ok) {
    const done = body.replayed.map((r) => `${r.id} to ${r.consumer}`).join(", ");
    answer.textContent = done ? `Replayed ${done}.` : `${id} was replayed before.`;
  } else {
    answer.textContent = `Not replayed: ${body.detail || response.status}`;
    button.disabled = false;
  }
}

// ------------------------------------------------------------------------------------------------------ timeline

async function showTimeline(event) {
  event.preventDefault();
  const ref = document.getElementById("delegate-ref").value.trim();
  const answer = document.getElementById("timeline-answer");
  const tbody = document.querySelector("#timeline-table tbody");
  answer.textContent = `Reading every event about ${ref}…`;
  const response = await fetch(`/ops/page/timeline/${encodeURIComponent(ref)}`);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    answer.textContent = body.detail || `No answer (${response.status})`;
    fill(tbody, []);
    return;
  }
  answer.textContent = `${body.delegate} in ${body.workshop}: ${body.timeline.length} steps.`;
  fill(tbody, body.timeline.map((step) =>
    el("tr", { "data-type": step.type },
      el("td", {}, time(step.at)),
      el("td", {}, step.service),
      el("td", {}, step.type),
      el("td", { class: "details" }, Object.entries(step.details).map(([k, v]) =>
        `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ")),
      el("td", {}, step.actor_token || ""))));
}

// ------------------------------------------------------------------------------------------------------- wiring

async function start() {
  const who = await fetch("/ops/page/me");
  if (who.status === 401 || who.status === 403) {
    window.location.assign("/ops/login");
    return;
  }
  const me = await who.json();
  canReplay = me.can_replay;
  document.getElementById("who").textContent = `token ${me.token_id} · ${me.roles.join(", ")}`;
  document.getElementById("timeline-form").addEventListener("submit", showTimeline);
  const connection = document.getElementById("connection");
  const source = new EventSource("/ops/page/events");
  const handlers = { lag: onLag, rates: onRates, boards: onBoards, dead_letters: onDeadLetters };
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (message) => {
      connection.dataset.state = "live";
      connection.textContent = `live · ${new Date().toLocaleTimeString()}`;
      handler(JSON.parse(message.data));
    });
  }
  source.addEventListener("problem", (message) => {
    const problem = JSON.parse(message.data);
    connection.dataset.state = "problem";
    connection.textContent = `${problem.what}: ${problem.error}, trying again`;
  });
  source.onerror = async () => {
    connection.dataset.state = "reconnecting";
    connection.textContent = "reconnecting…";
    const still = await fetch("/ops/page/me");
    if (still.status === 401 || still.status === 403) window.location.assign("/ops/login");
  };
}

document.addEventListener("DOMContentLoaded", start);
