// End to end: the mini program's pages against the real Go server, with
// wx.request carried over real HTTP. The suite builds and starts the server
// itself (demo data, throw-away data directory, a free port on 127.0.0.1)
// and uses only endpoints of miniprogram-api/openapi.yaml.
const { spawn, spawnSync } = require('child_process')
const fs = require('fs')
const http = require('http')
const net = require('net')
const os = require('os')
const path = require('path')

const { ROOT, mount, flush, until, text, tap, input } = require('../helpers/sim')
const { createWx } = require('../helpers/wx')
const auth = require('../../utils/auth')
const { api } = require('../../utils/request')

const REPO = path.resolve(ROOT, '..')

function findGo() {
  if (process.env.GO) return process.env.GO
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const p = path.join(dir, 'go')
    if (dir && fs.existsSync(p)) return p
  }
  return '/usr/local/go/bin/go'
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function httpGet(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, res => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.on('error', reject)
    req.setTimeout(2000, () => req.destroy(new Error('timeout')))
  })
}

// wx.request over node's http module: JSON body out, JSON (or text) back.
function httpTransport(req) {
  return new Promise(resolve => {
    const body = req.rawData === undefined ? undefined : Buffer.from(String(req.rawData))
    const headers = Object.assign({}, req.header)
    if (body) headers['Content-Length'] = body.length
    const r = http.request(req.url, { method: req.method, headers }, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        let data = raw
        try {
          data = JSON.parse(raw)
        } catch (e) {
          // Not JSON: wx.request hands over the text as is.
        }
        resolve({ status: res.statusCode, data, header: res.headers })
      })
    })
    r.on('error', err => resolve({ network: true, message: err.message }))
    r.setTimeout(10000, () => r.destroy(new Error('timeout')))
    if (body) r.write(body)
    r.end()
  })
}

let server
let serverLog = ''
let base
let tmp

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qj-mp-e2e-'))
  const bin = path.join(tmp, 'server')
  const build = spawnSync(findGo(), ['build', '-o', bin, './cmd/server'], {
    cwd: REPO,
    env: Object.assign({}, process.env, { GOFLAGS: process.env.GOFLAGS || '-buildvcs=false' }),
    encoding: 'utf8',
  })
  if (build.status !== 0) throw new Error('go build ./cmd/server failed:\n' + (build.stderr || build.error))

  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  base = origin + '/api/mp/v1'
  fs.mkdirSync(path.join(tmp, 'data'))
  server = spawn(bin, [], {
    cwd: tmp,
    env: Object.assign({}, process.env, {
      QJ_HTTP_ADDR: `127.0.0.1:${port}`,
      QJ_DATA_DIR: path.join(tmp, 'data'),
      QJ_DEMO: '1',
      QJ_BCRYPT_COST: '4',
      QJ_LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout.on('data', d => { serverLog += d })
  server.stderr.on('data', d => { serverLog += d })

  const deadline = Date.now() + 60000
  for (;;) {
    if (server.exitCode !== null) throw new Error('server exited early:\n' + serverLog)
    const status = await httpGet(origin + '/readyz').catch(() => 0)
    if (status === 200) break
    if (Date.now() > deadline) throw new Error('server not ready in 60s:\n' + serverLog)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}, 300000)

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise(resolve => server.once('exit', resolve))
    server.kill('SIGTERM')
    const timer = setTimeout(() => server.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
})

// One wx per suite: storage (the login) carries over from test to test, as
// it does in the real mini program.
let e2eWx
beforeEach(() => {
  if (!e2eWx) {
    e2eWx = createWx({ apiBase: base, transport: httpTransport, storage: { apiBase: base } })
  }
  // Fresh UI records per test; the storage map stays.
  e2eWx.ui.toasts.length = 0
  e2eWx.ui.modals.length = 0
  e2eWx.ui.sheets.length = 0
  Object.values(e2eWx.wx).forEach(fn => fn.mockClear && fn.mockClear())
  global.mock = e2eWx
  global.wx = e2eWx.wx
})

function count(page, key) {
  const num = page.querySelector(`.card-${key} .me-card__num`)
  return num && num.dom.textContent
}

function rowTitles(list) {
  return list.querySelectorAll('.ml-item__title').map(t => t.dom.textContent)
}

const NAMES = ['电子台秤 E2E-1', '电子台秤 E2E-2', '电子台秤 E2E-3']

describe('mini program against the real server', () => {
  let me

  test('password login on the 我 page shows the user and the counts', async () => {
    me = mount('pages/me/index')
    await me.instance.onShow()
    expect(text(me)).toContain('未登录')
    tap(me, '.password-toggle')
    await flush()
    input(me, '.account', 'demo-applicant')
    input(me, '.password', 'Demo@12345')
    await flush()
    tap(me, '.password-login')
    await until(() => count(me, 'total') === '0' && text(me).includes('广州示例计量器具使用有限公司'), 'the counts after login')
    expect(auth.getToken()).toMatch(/\w{20,}/)
    expect(text(me)).toContain('张经理')
    expect(mock.ui.toasts).toContain('登录成功')
  })

  test('instruments created through the API are counted on the 我 page', async () => {
    for (const [i, name] of NAMES.entries()) {
      const res = await api.post('/instruments', {
        name, model: 'TCS-30', factoryNo: `E2E-F${i + 1}`, usage: 3, method: 1, region: '440106', category: '061001',
      })
      expect(res.instrument.name).toBe(name)
      expect(res.instrument.filingStatus).toBe('unfiled')
    }
    await me.instance.onShow()
    await until(() => count(me, 'total') === '3', 'total 3')
    expect(count(me, 'unfiled')).toBe('3')
    expect(count(me, 'stopped')).toBe('0')
  })

  test('全部仪器 → 停用 one instrument via 操作 → it moves to 已停用', async () => {
    const tab = mount('pages/instruments/index')
    const list = tab.querySelector('#menu')
    await until(() => rowTitles(list).length === 3, 'three rows in 全部仪器')
    expect(rowTitles(list).slice().sort()).toEqual(NAMES)
    expect(text(list)).toContain('共 3 台')

    const index = rowTitles(list).indexOf('电子台秤 E2E-2')
    tap(list.querySelectorAll('.ml-item__check')[index])
    await flush()
    mock.answerSheet(0) // 停用
    mock.answerModal(true)
    tap(list, '.ml-bar__op')
    await until(() => mock.ui.toasts.includes('已停用 1 台仪器'), 'the 停用 result')
    expect(mock.ui.sheets).toEqual([['停用', '报废', '删除']])

    // 全部仪器 still lists it (everything not scrapped), now tagged 已停用.
    await until(() => list.data.loaded && !list.data.loading && list.data.selectedCount === 0, 'the reload')
    const row = list.querySelectorAll('.ml-item')[rowTitles(list).indexOf('电子台秤 E2E-2')]
    expect(row.dom.textContent).toContain('已停用')

    const filings = mount('pages/filings/index')
    const flist = filings.querySelector('#menu')
    await until(() => flist.data.loaded && !flist.data.loading, '待备案 loaded')
    expect(rowTitles(flist).sort()).toEqual(['电子台秤 E2E-1', '电子台秤 E2E-3'])
    tap(flist.querySelectorAll('.ml-menu__item')[7])
    await until(() => flist.data.menuKey === 'stopped' && flist.data.loaded && !flist.data.loading, '已停用 loaded')
    expect(rowTitles(flist)).toEqual(['电子台秤 E2E-2'])
    expect(mock.ui.sheets).toEqual([['停用', '报废', '删除']])

    await me.instance.onShow()
    await until(() => count(me, 'stopped') === '1', 'stopped 1')
    expect(count(me, 'total')).toBe('3')
  })

  test('待备案 → 提交备案 through the dialog → 已提交 → 撤销备案', async () => {
    // 轨道衡 (012001) is supervised "V": no type-evaluation certificate needed.
    const ids = []
    for (const n of [1, 2]) {
      const res = await api.post('/instruments', {
        name: `轨道衡 E2E-${n}`, model: 'GCU-100', factoryNo: `E2E-G${n}`, usage: 3, method: 2, region: '440106', category: '012001',
      })
      ids.push(res.instrument.id)
    }
    const page = mount('pages/filings/index')
    const list = page.querySelector('#menu')
    await until(() => list.data.loaded && !list.data.loading, '待备案 loaded')
    const titles = rowTitles(list)
    for (const name of ['轨道衡 E2E-1', '轨道衡 E2E-2']) tap(list.querySelectorAll('.ml-item__check')[titles.indexOf(name)])
    await flush()
    mock.answerSheet(0) // 提交备案
    tap(list, '.ml-bar__op')
    const dialog = list.querySelector('#filing')
    await until(() => dialog.data.show && !dialog.data.loading, 'the filing options')
    expect(dialog.data.submitIds.slice().sort()).toEqual(ids.slice().sort())
    expect(dialog.data.institutionId).toBeTruthy()
    expect(text(dialog)).toContain('本次计量器具将备案至：' + dialog.data.institutionName)
    tap(dialog, '.statement')
    await flush()
    tap(dialog, '.submit')
    await until(() => mock.ui.toasts.includes('已提交 2 台仪器的备案'), 'the filing result')

    tap(list.querySelectorAll('.ml-menu__item')[1]) // 已提交
    await until(() => list.data.menuKey === 'submitted' && list.data.loaded && !list.data.loading, '已提交 loaded')
    expect(rowTitles(list).sort()).toEqual(['轨道衡 E2E-1', '轨道衡 E2E-2'])
    tap(list.querySelectorAll('.ml-item__check')[rowTitles(list).indexOf('轨道衡 E2E-1')])
    await flush()
    mock.answerSheet(0) // 撤销备案
    mock.answerModal(true)
    tap(list, '.ml-bar__op')
    await until(() => mock.ui.toasts.includes('已撤销 1 台仪器的备案'), 'the withdrawal')
    await until(() => list.data.loaded && !list.data.loading && rowTitles(list).length === 1, 'the reload')
    expect(rowTitles(list)).toEqual(['轨道衡 E2E-2'])
  })

  test('退出登录 ends the server session: the old token gets 401 and bounces to the login', async () => {
    const token = auth.getToken()
    mock.answerModal(true)
    tap(me, '.logout')
    await until(() => !auth.isLoggedIn() && !!me.querySelector('.wechat-login'), 'logged out')

    // A copy of the old token (say, another page still holding it) is now
    // refused by the server.
    auth.setSession(token, null)
    await me.instance.onShow()
    await until(() => !auth.isLoggedIn(), 'the 401 bounce')
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/me/index' })
    expect(text(me)).toContain('未登录')
  })
})
