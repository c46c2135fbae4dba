'use strict'
// Names from a module (or the command line) shown on the terminal: control characters (and the
// line and paragraph separators) would reach it as they are, so such a name is shown as a JSON
// string instead, quoted and escaped. Other names are shown as they are.

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/** @param {string} name */
function printable(name) {
  return UNPRINTABLE.test(name) ? JSON.stringify(name) : name
}

/** `text` with each control character escaped as in JSON ("\\n"), so that it stays on one line. */
function oneLine(text) {
  return text.replace(UNPRINTABLE_ALL, (character) => JSON.stringify(character).slice(1, -1))
}

module.exports = { printable, oneLine }
