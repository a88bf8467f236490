// Loading pages and components with miniprogram-simulate, from the mini
// program root, with the official WXML compiler (wcc) shipped in
// miniprogram-compiler — a WXML error fails the test that loads it.
const path = require('path')
const simulate = require('miniprogram-simulate')

const ROOT = path.resolve(__dirname, '..', '..')

// miniprogram-simulate runs a component's .js with require() and then
// deletes it from require.cache so that the next load runs it again; jest's
// module registry ignores that deletion, so a second load of the same
// component would register nothing. Loading in an isolated registry makes
// every load run the files afresh.
function load(rel) {
  let id
  jest.isolateModules(() => {
    id = simulate.load(path.join(ROOT, rel), { rootPath: ROOT })
  })
  return id
}

function mount(rel, props) {
  const comp = simulate.render(load(rel), props)
  comp.attach(document.createElement('parent-wrapper'))
  return comp
}

// Lets pending wx callbacks (setTimeout 0) and the promise chains after
// them run.
async function flush(rounds = 8) {
  for (let i = 0; i < rounds; i++) {
    await new Promise(resolve => setTimeout(resolve, 0))
  }
}

// Waits until cond() is true (for the e2e suite, where answers come over
// real HTTP).
async function until(cond, what, timeout = 5000) {
  const start = Date.now()
  for (;;) {
    if (cond()) return
    if (Date.now() - start > timeout) throw new Error('timed out waiting for ' + what)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

function text(comp) {
  return comp.dom.textContent.replace(/\s+/g, ' ')
}

function tap(comp, selector) {
  const el = selector ? comp.querySelector(selector) : comp
  if (!el) throw new Error('no element for ' + selector)
  el.dispatchEvent('tap')
}

function input(comp, selector, value) {
  const el = comp.querySelector(selector)
  if (!el) throw new Error('no element for ' + selector)
  el.dispatchEvent('input', { detail: { value } })
}

// The value a WXML attribute of a built-in component was rendered with
// (built-ins are stand-ins without properties in miniprogram-simulate).
function attr(comp, name) {
  const vt = comp && comp._exparserNode && comp._exparserNode._vt
  // wcc hands attributes over camelCased (open-type → openType).
  const camel = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase())
  const found = vt && vt.attrs.find(a => a.name === name || a.name === camel)
  return found ? found.value : undefined
}

module.exports = { ROOT, simulate, load, mount, flush, until, text, tap, input, attr }
