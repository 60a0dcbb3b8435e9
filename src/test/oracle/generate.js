// Evaluates a table of JSON Logic rules with json-logic-js, the reference implementation whose
// JavaScript semantics JSON Logic inherits, and writes the results as a test resource that
// JsonLogicOracleTest replays against our engine.
//
//   cd src/test/oracle && npm ci && node generate.js
//
// Every rule and data value is passed through JSON text before evaluation, so json-logic-js sees
// exactly what our engine reads (no shared object identities, no values JSON cannot hold).
"use strict";

const fs = require("fs");
const path = require("path");
const jsonLogic = require("json-logic-js");

const OUT = path.join(__dirname, "..", "resources", "dev", "fleetflags", "eval", "jsonlogic-oracle.json");

// ---- encoding of JavaScript results that JSON cannot carry --------------------------------------

function encode(v) {
  if (v === undefined) return { $js: "undefined" };
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { $js: "NaN" };
    if (v === Infinity) return { $js: "Infinity" };
    if (v === -Infinity) return { $js: "-Infinity" };
    if (Object.is(v, -0)) return { $js: "-0" };
    return v;
  }
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = encode(v[k]);
    return o;
  }
  if (typeof v === "function") throw new Error("result is a function");
  return v;
}

const RAW = "\u0000raw";

function evaluate(rule, data, text) {
  const r = JSON.parse(text ? text : JSON.stringify(rule));
  const d = JSON.parse(JSON.stringify(data));
  return jsonLogic.apply(r, d);
}

// ---- tables: one rule template evaluated over the cartesian product of its axes -----------------
// A placeholder {"$": i} stands for the i-th axis value: in "literal" form the value itself is
// written into the rule; in "var" form it is read from the data as {"var": "a<i>"}.

function substitute(template, form, values) {
  if (Array.isArray(template)) return template.map((t) => substitute(t, form, values));
  if (template !== null && typeof template === "object") {
    const keys = Object.keys(template);
    if (keys.length === 1 && keys[0] === "$") {
      const i = template.$;
      return form === "var" ? { var: "a" + i } : values[i];
    }
    const o = {};
    for (const k of keys) o[k] = substitute(template[k], form, values);
    return o;
  }
  return template;
}

function product(axes) {
  let combos = [[]];
  for (const axis of axes) {
    const next = [];
    for (const c of combos) for (const v of axis) next.push(c.concat([v]));
    combos = next;
  }
  return combos;
}

const tables = [];

function table(name, form, rule, axes) {
  const results = [];
  for (const values of product(axes)) {
    const data = {};
    if (form === "var") values.forEach((v, i) => (data["a" + i] = v));
    results.push(evaluate(substitute(rule, form, values), data));
  }
  const entry = { name, form, rule, axes };
  if (results.every((r) => typeof r === "boolean")) {
    entry.bits = results.map((r) => (r ? "T" : "F")).join("");
  } else {
    entry.results = results.map(encode);
  }
  tables.push(entry);
}

// ---- single cases -------------------------------------------------------------------------------

const cases = [];

// A case our engine answers differently on purpose carries `deviation` (why) and `ours` (what our
// engine gives); the replaying test checks that it still gives exactly that.
// A rule given as a string is JSON text, for numbers a JavaScript literal cannot carry into JSON.
function c(rule, data, extra) {
  const text = typeof rule === "string" ? rule : null;
  const result = evaluate(text === null ? rule : RAW, data === undefined ? {} : data, text);
  const entry = { rule: text === null ? rule : RAW, data: data === undefined ? {} : data, result: encode(result) };
  if (text !== null) entry.ruleText = text;
  if (extra) {
    entry.deviation = extra.deviation;
    entry.ours = encode(extra.ours);
  }
  cases.push(entry);
}

// ---- values ------------------------------------------------------------------------------------

// Values of every JSON type, and strings that coerce in interesting ways.
const V = [
  0, 1, -1, 1.5, 10, "0", "1", "1.0", "01", "10", "9", "", " ", "\t\n", "abc", "b",
  true, false, "true", null, [], [1], ["1"], [1, 2], "1,2", [[]], [null], {}, "[object Object]",
];

// Operands for arithmetic.
const W = [
  0, 3, -2, 2.5, "4", " 5 ", "6abc", "abc", "", "0x10", "1e2", true, false, null,
  [], [7], [1, 2], "Infinity", "-0",
];

for (const op of ["==", "===", "!=", "!==", "<", "<=", ">", ">="]) {
  table(op + " across types (data)", "var", { [op]: [{ $: 0 }, { $: 1 }] }, [V, V]);
  table(op + " across types (literals)", "literal", { [op]: [{ $: 0 }, { $: 1 }] }, [V, V]);
}

// NaN, Infinity and -0 exist only as results; reach them through expressions.
const NUMS = [{ "/": [0, 0] }, { "/": [1, 0] }, { "/": [-1, 0] }, { "-": [0] }, 0, 1, "NaN", "Infinity", null];
for (const op of ["==", "===", "<", "<=", ">", ">="]) {
  table(op + " with NaN, Infinity, -0", "literal", { [op]: [{ $: 0 }, { $: 1 }] }, [NUMS, NUMS]);
}

for (const [name, rule] of [
  ["!!", { "!!": [{ $: 0 }] }],
  ["!", { "!": [{ $: 0 }] }],
  ["if", { if: [{ $: 0 }, "then", "else"] }],
  ["and", { and: [{ $: 0 }, "last"] }],
  ["or", { or: [{ $: 0 }, "last"] }],
]) {
  table("truthiness " + name, "var", rule, [V]);
}
table("truthiness of computed values", "literal", { "!!": [{ $: 0 }] }, [NUMS]);

for (const op of ["+", "-", "*", "/", "%", "min", "max"]) {
  table(op + " across types (data)", "var", { [op]: [{ $: 0 }, { $: 1 }] }, [W, W]);
}
table("+ of three", "literal", { "+": [{ $: 0 }, { $: 1 }, { $: 2 }] }, [[1, "2", null], [true, "x"], [0.5, [3]]]);
for (const op of ["+", "-", "*", "min", "max"]) {
  table(op + " of one (data)", "var", { [op]: [{ $: 0 }] }, [W]);
}
table("+ of one, unwrapped", "var", { "+": { $: 0 } }, [W]);
table("* of three", "literal", { "*": [{ $: 0 }, { $: 1 }, { $: 2 }] }, [[2, "3"], ["4", [5]], [0.5, " 6"]]);
table("min of three", "literal", { min: [{ $: 0 }, { $: 1 }, { $: 2 }] }, [[2, "3", null], ["1", [5], true], [-0.5, "x"]]);

// String to number: parseFloat (+) and ToNumber (- 0) over awkward strings.
const NUMERIC_STRINGS = [
  "", " ", "1", " 1", "1 ", "\t1\n", "\u00a01", "\ufeff1", "\u20281", "\u30001", "\u001c1", "\u00851",
  "1e", "1e+", "1e5", "1E-2", ".5", "5.", ".", "-.5", "+5", "++5", "-", "0x10", "0X1f", "0b11",
  "0o17", "-0x10", "0x", "0xg", "Infinity", "-Infinity", "+Infinity", "infinity", "Infinityx",
  "1_000", "1,5", "\u0661", "1e400", "-1e400", "1e-400", "00012", "0012.5", "1.2.3", "12abc",
  "9007199254740993", "0.1", "-0", "NaN",
];
table("parseFloat (+)", "literal", { "+": [{ $: 0 }] }, [NUMERIC_STRINGS]);
table("ToNumber (- 0)", "literal", { "-": [{ $: 0 }, 0] }, [NUMERIC_STRINGS]);
table("ToNumber (==)", "literal", { "==": [{ $: 0 }, 1] }, [NUMERIC_STRINGS]);

// String(): cat joins its arguments' string forms.
table("cat of two", "var", { cat: [{ $: 0 }, { $: 1 }] }, [V, V]);
table("cat of computed numbers", "literal", { cat: [{ $: 0 }] }, [NUMS]);
table("cat of nested arrays", "literal", { cat: [{ $: 0 }] }, [[[[1, [2, null]], 3], [[], []], [null], [[null]], [true, false], [{}]]]);

// Number to string, on doubles of every magnitude: JavaScript prints the shortest digits that
// read back as the same double, and switches to exponent form outside 1e-7 .. 1e21.
let seed = 20241121;
function random() {
  // xorshift32, so the table is the same on every run
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const doubles = [
  0.1, 0.2, 0.30000000000000004, 1 / 3, 2 / 3, 1e21, 1e-7, 1.5e-7, 9.99e20, 123456789012345680000,
  5e-324, 1.7976931348623157e308, 2e23, 1e23, 4.35, 0.000001, 1e-6, 1.2e-6, 100, 1.0000000000000002,
  2 ** 53, 2 ** 53 + 2, 2 ** 56, 2 ** 59, 2 ** 60, 2 ** 70, -0.5, -1e-10, 1.25e+25, 1.5e-323, 9.5e-7,
  0.000001, 0.0000015, 999999999999999900000, 1e-6 - 1e-22,
];
// Powers of two: where the gaps below and above a double differ.
for (let k = -1074; k <= 1023; k += 29) doubles.push(2 ** k);
for (let i = 0; i < 200; i++) {
  const mantissa = random() * 10;
  const exponent = Math.floor(random() * 60) - 30;
  doubles.push(Number((mantissa * 10 ** exponent).toPrecision(1 + Math.floor(random() * 17))));
  doubles.push(Math.floor(random() * 1000) / (1 + Math.floor(random() * 999)));
}
table("number to string", "literal", { cat: [{ $: 0 }] }, [doubles]);

// in: substring of a string, strict membership of an array.
const NEEDLES = ["a", "", "1", 1, true, "true", null, "null", [1], "1,2", 0];
const HAYSTACKS = ["abc", "", "a1b", "true", "null", "1,2", [1, 2], ["1"], [true], [null], [0], [[1]], ["a", "b"], 1, true, null, {}];
table("in (data)", "var", { in: [{ $: 0 }, { $: 1 }] }, [NEEDLES, HAYSTACKS]);
table("in (literal list)", "literal", { in: [{ $: 0 }, { $: 1 }] }, [NEEDLES, HAYSTACKS]);
table("in with computed numbers", "literal", { in: [{ $: 0 }, [0, 1, 1.5, "Infinity"]] }, [NUMS]);

// substr, two and three arguments.
const SOURCES = ["abcdef", "", 12345, null, true, [1, 2]];
const STARTS = [0, 1, -1, -2, 4, 10, -10, "2", null, 1.7, -1.5, "x", true, [1]];
const LENGTHS = [0, 2, -1, -2, 10, -10, null, "2", "-1", 1.5, -1.5, [-1], true, "x"];
table("substr of two", "var", { substr: [{ $: 0 }, { $: 1 }] }, [SOURCES, STARTS]);
table("substr of three", "var", { substr: [{ $: 0 }, { $: 1 }, { $: 2 }] }, [["abcdef", 12345, ""], STARTS, LENGTHS]);

// var into objects, arrays and strings.
const DATA = {
  a: [10, [20, 30], { b: "x" }, null],
  s: "hello",
  n: null,
  z: 0,
  e: "",
  f: false,
  o: { "": 1, x: { y: 2 }, "k.l": 3, "0": "zero" },
  arr: [],
  xs: [{ x: 1 }, { x: 5 }, { y: 2 }],
};
const PATHS = [
  "a", "a.0", "a.1", "a.1.0", "a.1.1", "a.1.2", "a.2.b", "a.2.c", "a.3", "a.3.x", "a.4", "a.-1",
  "a.01", "a.00", "a.1e0", "a. 1", "a.+1", "a.1.length", "a.length", "s.0", "s.4", "s.5",
  "s.length", "s.0.0", "n", "n.x", "z", "z.x", "e", "e.length", "f", "o.", "o.x.y", "o.k.l",
  "o.k", "o.0", "arr.0", "arr.length", "missing", "missing.x", "a..0", ".a",
];
for (const p of PATHS) {
  c({ var: p }, DATA);
  c({ var: [p, "fallback"] }, DATA);
}
c({ var: ["n", "fallback"] }, DATA);
c({ var: ["missing", null] }, DATA);
c({ var: ["missing", { cat: ["x", "y"] }] }, DATA);
c({ var: [{ cat: ["a.", 1, ".", 0] }] }, DATA);
c({ var: [{ cat: ["o", ".", "x"] }, 5] }, DATA);
c({ var: [{ if: [true, "s.length", "a"] }] }, DATA);
c({ var: ["a.1", "fallback"] }, DATA);
c({ var: "z" }, DATA);
c({ var: ["z", 5] }, DATA);
c({ map: [{ var: "a" }, { var: "" }] }, DATA);
c({ map: [{ var: "a" }, { var: null }] }, DATA);
c({ map: [{ var: "a" }, { var: [] }] }, DATA);
c({ map: [{ var: "a" }, { var: 0 }] }, DATA);
c({ map: [{ var: "a" }, { var: [0, "none"] }] }, DATA);
c({ map: [[[1, 2], [3]], { var: 1 }] }, DATA);
c({ map: [[[1, 2], [3]], { var: "length" }] }, DATA);
c({ map: [["ab", "c"], { var: 1.5 }] }, DATA);
c({ map: [{ var: "xs" }, { var: "x" }] }, DATA);
c({ map: [{ var: "o.x" }, { var: "y" }] }, DATA);
c({ var: [1] }, DATA);
c({ var: [[]] }, DATA);
c({ var: "" }, { a: 1 }, {
  deviation: "the whole data is the flagd evaluation context, which also holds $flagd (and targetingKey when there is one)",
  ours: { a: 1, $flagd: { flagKey: "oracle", timestamp: 0 } },
});
c('{"/": [1, -0]}', {}, {
  deviation: "JSON -0 is read as the integer 0, which has no sign",
  ours: Infinity,
});
c('{"cat": [9007199254740993]}', {}, {
  deviation: "integers keep their exact value up to 2^63; JavaScript rounds those beyond 2^53 to a double",
  ours: "9007199254740993",
});
c({ var: [[]] }, { "": "empty key" });
c({ map: [{ var: "xs" }, { var: [[]] }] }, DATA);

// missing and missing_some.
c({ missing: ["a", "n", "e", "z", "f", "zz", "o.x.y", "o.x.q", "a.0", "a.9", "s.length"] }, DATA);
c({ missing: [["s", "nope"]] }, DATA);
c({ missing: [] }, DATA);
c({ missing: "nope" }, DATA);
c({ missing: [{ merge: ["s", "nope", ["n"]] }] }, DATA);
c({ missing: [{ if: [true, ["nope", "s"], []] }] }, DATA);
c({ missing: ["", null] }, DATA);
c({ missing_some: [1, ["s", "nope"]] }, DATA);
c({ missing_some: [2, ["s", "nope", "n"]] }, DATA);
c({ missing_some: [2, ["s", "z", "n"]] }, DATA);
c({ missing_some: [0, ["nope"]] }, DATA);
c({ missing_some: ["1", ["nope", "s"]] }, DATA);
c({ missing_some: [3, ["nope", "s"]] }, DATA);
c({ missing_some: [1, []] }, DATA);
c({ map: [{ var: "xs" }, { missing: ["x", "y"] }] }, DATA);

// if, and, or.
for (const args of [
  [], [true], [false], ["x"], [true, 1], [false, 1], [true, 1, 2], [false, 1, 2],
  [false, 1, true, 2], [false, 1, false, 2], [false, 1, false, 2, 3], [true, 1, true, 2, 3],
  [[], 1, [0], 2, 3], ["", 1, "0", 2], [0, 1, { var: "z" }, 2, { var: "s" }],
  [{ "==": [{ var: "s" }, "hello"] }, "yes", "no"],
]) {
  c({ if: args }, DATA);
  c({ "?:": args }, DATA);
}
c({ if: true }, DATA);
for (const args of [[], [true], [false], [0, 1], [1, 0], ["", [], 0], ["a", "b"], [[], "x"], [[0], "x"], [null, false]]) {
  c({ and: args }, DATA);
  c({ or: args }, DATA);
}
c({ and: [{ var: "s" }, { var: "z" }, { var: "s" }] }, DATA);
c({ or: [{ var: "z" }, { var: "e" }, { var: "arr" }, { var: "a" }] }, DATA);

// The three-argument between form of < and <=.
for (const args of [
  [1, 2, 3], [1, 3, 2], [3, 2, 1], [1, 1, 2], [1, 2, 2], [1, 1, 1], ["a", "b", "c"], ["b", "a", "c"],
  [1, "2", 3], ["1", "10", "9"], [1, 2, null], [0, null, 0], [-1, null, 1], [{ var: "z" }, 0, 1],
]) {
  c({ "<": args }, DATA);
  c({ "<=": args }, DATA);
}

// merge, map, filter, reduce, all, some, none.
for (const args of [[], [[]], [1, 2], [[1], [2, [3]]], [null], [[null], "x", { var: "a" }], [{ var: "s" }, [true]]]) {
  c({ merge: args }, DATA);
}
const LISTS = [[1, 2, 3], [], [0], "abc", 5, null, { var: "a" }, { var: "nope" }, { var: "o" }];
for (const list of LISTS) {
  c({ map: [list, { "*": [{ var: "" }, 2] }] }, DATA);
  c({ filter: [list, { var: "" }] }, DATA);
  c({ reduce: [list, { "+": [{ var: "current" }, { var: "accumulator" }] }, 0] }, DATA);
  c({ reduce: [list, { cat: [{ var: "accumulator" }, { var: "current" }] }] }, DATA);
  c({ all: [list, { var: "" }] }, DATA);
  c({ some: [list, { var: "" }] }, DATA);
  c({ none: [list, { var: "" }] }, DATA);
}
c({ filter: [[1, 2, 3, 4], { "==": [{ "%": [{ var: "" }, 2] }, 0] }] }, DATA);
c({ all: [[1, 2], { ">": [{ var: "" }, 0] }] }, DATA);
c({ all: [[1, 0], { ">": [{ var: "" }, 0] }] }, DATA);
c({ some: [{ var: "xs" }, { ">": [{ var: "x" }, 3] }] }, DATA);
c({ none: [{ var: "xs" }, { ">": [{ var: "x" }, 9] }] }, DATA);
c({ reduce: [[1, 2, 3], { "*": [{ var: "current" }, { var: "accumulator" }] }, 1] }, DATA);
c({ reduce: [[1, 2, 3], { var: "accumulator" }, { var: "s" }] }, DATA);
c({ reduce: [{ var: "a" }, { var: "current" }, null] }, DATA);
c({ map: [{ var: "a" }, { var: "s" }] }, DATA);
c({ map: [[[1, 2], [3, 4]], { map: [{ var: "" }, { "+": [{ var: "" }, 1] }] }] }, DATA);
c({ filter: [[[1], [], [0], ""], { var: "" }] }, DATA);

// cat, substr and in, chosen cases.
c({ cat: [] }, DATA);
c({ cat: "solo" }, DATA);
c({ cat: [1, 2.5, true, null, "x", [1, [2]], {}] }, DATA);
c({ cat: [{ var: "nope" }, "-", { var: "n" }, "-", { var: "z" }] }, DATA);
c({ cat: [0.1, { "+": [0.1, 0.2] }] }, DATA);
c({ substr: ["abcdef", -4, -2] }, DATA);
c({ substr: ["abcdef", 2, -10] }, DATA);
c({ substr: [{ var: "s" }, 1, { var: "nope" }] }, DATA);
c({ in: [{ var: "s" }, ["hello", "world"]] }, DATA);
c({ in: ["ell", { var: "s" }] }, DATA);
c({ in: [{ var: "z" }, [{ var: "z" }, 1]] }, DATA);
c({ in: [{ var: "a.1" }, { var: "a" }] }, DATA);
c({ in: [{ var: "a.2" }, { var: "a" }] }, DATA);
c({ in: [[20, 30], { var: "a" }] }, DATA);
c({ "==": [{ var: "a.1" }, { var: "a.1" }] }, DATA);
c({ "===": [{ var: "o" }, { var: "o" }] }, DATA);
c({ "==": [[1], [1]] }, DATA);
c({ "===": [{}, {}] }, DATA);
c({ "==": [{ var: "o.x" }, "[object Object]"] }, DATA);

// Arithmetic forms with other than two arguments.
c({ "+": [] }, DATA);
c({ "+": [1, 2, 3, 4] }, DATA);
c({ "-": [1, 2] }, DATA);
c({ "-": [1, null] }, DATA);
c({ "-": [{ var: "nope" }] }, DATA);
c({ "/": [1, { var: "nope" }] }, DATA);
c({ "%": [-7, 3] }, DATA);
c({ "%": [7.5, -2] }, DATA);
c({ "%": [1, 0] }, DATA);
c({ max: [1, "x"] }, DATA);
c({ max: [[], [[]]] }, DATA);
c({ min: [{ var: "a.0" }, { var: "a.1.0" }] }, DATA);

fs.mkdirSync(path.dirname(OUT), { recursive: true });
const lines = [];
lines.push("{");
lines.push('"about": ' + JSON.stringify(
  "JSON Logic results from json-logic-js " + require("json-logic-js/package.json").version +
  ", written by src/test/oracle/generate.js; regenerate, do not edit. {\"$js\": ...} stands for a JavaScript value JSON cannot hold.") + ",");
lines.push('"tables": [');
lines.push(tables.map((t) => JSON.stringify(t)).join(",\n"));
lines.push("],");
lines.push('"cases": [');
lines.push(cases.map((x) => {
  if (x.ruleText === undefined) return JSON.stringify(x);
  const { ruleText, ...rest } = x;
  return JSON.stringify(rest).replace(JSON.stringify(RAW), ruleText);
}).join(",\n"));
lines.push("]");
lines.push("}");
fs.writeFileSync(OUT, lines.join("\n") + "\n");
let n = cases.length;
for (const t of tables) n += t.bits ? t.bits.length : t.results.length;
console.log("wrote " + tables.length + " tables and " + cases.length + " cases (" + n + " evaluations) to " + path.relative(process.cwd(), OUT));
