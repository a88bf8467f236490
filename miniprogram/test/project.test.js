// The project as WeChat devtools would see it: app.json names pages that
// exist, every component reference resolves, every page and component
// compiles (WXML with the official wcc, WXSS with wcsc) and renders.
const fs = require('fs')
const path = require('path')
const compiler = require('miniprogram-compiler')
const { ROOT, mount } = require('./helpers/sim')

const read = rel => fs.readFileSync(path.join(ROOT, rel), 'utf8')
const json = rel => JSON.parse(read(rel))
const app = json('app.json')

function walk(dir, ext, out = []) {
  for (const name of fs.readdirSync(path.join(ROOT, dir))) {
    const rel = path.join(dir, name)
    if (['node_modules', 'test'].includes(name)) continue
    if (fs.statSync(path.join(ROOT, rel)).isDirectory()) walk(rel, ext, out)
    else if (rel.endsWith(ext)) out.push(rel)
  }
  return out
}

// Every page and component directory: pages from app.json, components from
// any usingComponents.
function units() {
  const set = new Set(app.pages)
  const queue = app.pages.slice()
  while (queue.length) {
    const unit = queue.shift()
    const uses = json(unit + '.json').usingComponents || {}
    for (const target of Object.values(uses)) {
      const rel = target.startsWith('/') ? target.slice(1) : path.join(path.dirname(unit), target)
      if (!set.has(rel)) {
        set.add(rel)
        queue.push(rel)
      }
    }
  }
  return [...set]
}

describe('app.json', () => {
  test('every page has its .js, .json, .wxml and .wxss', () => {
    expect(app.pages.length).toBeGreaterThan(0)
    for (const page of app.pages) {
      for (const ext of ['.js', '.json', '.wxml', '.wxss']) {
        expect(fs.existsSync(path.join(ROOT, page + ext)) ? page + ext : 'missing ' + page + ext).toBe(page + ext)
      }
    }
  })

  test('the 我 page is the entry page and every tab is a page', () => {
    expect(app.pages[0]).toBe('pages/me/index')
    const tabs = app.tabBar.list.map(t => t.pagePath)
    expect(tabs).toEqual(['pages/instruments/index', 'pages/filings/index', 'pages/bookings/index', 'pages/me/index'])
    for (const t of tabs) expect(app.pages).toContain(t)
  })

  test('sitemap and project config are valid', () => {
    expect(json(app.sitemapLocation).rules.length).toBeGreaterThan(0)
    const project = json('project.config.json')
    expect(project.appid).toBe('touristappid')
    expect(project.setting.urlCheck).toBe(false)
  })

  test('no source files outside app.json reach (every .wxml belongs to a page or component)', () => {
    const known = new Set(units().map(u => u + '.wxml'))
    const orphans = walk('.', '.wxml').map(p => p.replace(/^\.\//, '')).filter(p => !known.has(p))
    expect(orphans).toEqual([])
  })
})

describe('compilation', () => {
  test('all WXML compiles with the official compiler (wcc)', () => {
    const js = compiler.wxmlToJs(ROOT)
    expect(js).toContain('$gwx')
  })

  test('all WXSS compiles with the official compiler (wcsc)', () => {
    const js = compiler.wxssToJs(ROOT)
    expect(js).toContain('wxssMap')
    for (const file of walk('.', '.wxss')) {
      expect(js).toContain(`'${file.replace(/^\.\//, '')}'`)
    }
  })

  test.each(units())('%s loads and renders', unit => {
    const conf = json(unit + '.json')
    const usedBy = unit.startsWith('components/')
    expect(!!conf.component).toBe(usedBy)
    const src = read(unit + '.js')
    // Pages are built with Component() so that miniprogram-simulate can
    // load them like components.
    expect(src).toMatch(/\bComponent\(\{/)
    const comp = mount(unit)
    expect(comp.dom).toBeTruthy()
  })
})

test('component styles use class selectors only (WeChat ignores tag, id and attribute selectors there)', () => {
  const bad = []
  for (const file of walk('components', '.wxss')) {
    const css = read(file).replace(/\/\*[\s\S]*?\*\//g, '')
    for (const m of css.matchAll(/([^{}]+)\{/g)) {
      for (const selector of m[1].split(',')) {
        for (const part of selector.trim().split(/\s*[\s>+~]\s*/)) {
          if (part && !/^(\.[\w-]+)+(::?[\w-]+)?$/.test(part)) bad.push(`${file}: ${selector.trim()}`)
        }
      }
    }
  }
  expect(bad).toEqual([])
})

test('source has no unfinished markers', () => {
  const files = walk('.', '.js').concat(walk('.', '.wxml'))
  const marked = files.filter(f => /\b(TODO|FIXME|XXX)\b/.test(read(f)))
  expect(marked).toEqual([])
})
