// A mock of the `wx` global for miniprogram-simulate tests: wx.request is
// answered by routes the test declares (or by a real HTTP transport in the
// e2e suite); storage is in memory; every UI call (toast, modal, action
// sheet, navigation) is recorded and modal/action-sheet answers are queued.

function parseUrl(url) {
  const u = new URL(url)
  const query = {}
  u.searchParams.forEach((v, k) => { query[k] = v })
  return { origin: u.origin, pathname: decodeURIComponent(u.pathname), query }
}

function later(fn) {
  setTimeout(fn, 0)
}

function createWx(options = {}) {
  const base = options.apiBase || 'http://127.0.0.1:8080/api/mp/v1'
  const basePath = new URL(base).pathname
  const storage = new Map(Object.entries(options.storage || {}))
  const routes = []
  const requests = []
  const unmatched = []
  const modalAnswers = []
  const sheetAnswers = []
  const ui = { toasts: [], modals: [], sheets: [], loading: 0 }

  function route(method, path, handler) {
    routes.push({ method: method.toUpperCase(), path, handler })
  }

  function findRoute(method, pathname) {
    // Later declarations win, so a test can override a default route.
    for (let i = routes.length - 1; i >= 0; i--) {
      const r = routes[i]
      if (r.method !== method) continue
      if (typeof r.path === 'string' ? r.path === pathname : r.path.test(pathname)) return r
    }
    return null
  }

  async function mockTransport(req) {
    const r = findRoute(req.method, req.path)
    if (!r) {
      unmatched.push(`${req.method} ${req.path}`)
      return { status: 404, data: { code: 'NOT_FOUND', message: '接口不存在' } }
    }
    let out = typeof r.handler === 'function' ? await r.handler(req) : r.handler
    if (out && out.network) return out
    if (!out || typeof out.status !== 'number') out = { status: 200, data: out === undefined ? {} : out }
    return out
  }

  const transport = options.transport || mockTransport

  const wx = {
    request: jest.fn(o => {
      const { pathname, query } = parseUrl(o.url)
      let data = o.data
      if (typeof data === 'string' && data) data = JSON.parse(data)
      const req = {
        url: o.url,
        method: (o.method || 'GET').toUpperCase(),
        path: pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname,
        query,
        header: o.header || {},
        data,
        rawData: o.data,
      }
      requests.push(req)
      Promise.resolve(transport(req)).then(res => {
        later(() => {
          if (res.network) {
            o.fail && o.fail({ errMsg: 'request:fail ' + (res.message || 'timeout') })
          } else {
            o.success && o.success({ statusCode: res.status, data: res.data, header: res.header || {} })
          }
          o.complete && o.complete()
        })
      }, err => later(() => o.fail && o.fail({ errMsg: 'request:fail ' + err.message })))
      return { abort() {} }
    }),

    getStorageSync: jest.fn(k => (storage.has(k) ? storage.get(k) : '')),
    setStorageSync: jest.fn((k, v) => { storage.set(k, v) }),
    removeStorageSync: jest.fn(k => { storage.delete(k) }),
    clearStorageSync: jest.fn(() => storage.clear()),

    login: jest.fn(o => later(() => {
      if (options.loginFails) o.fail && o.fail({ errMsg: 'login:fail' })
      else o.success && o.success({ code: options.loginCode || 'wx-login-code', errMsg: 'login:ok' })
    })),

    showToast: jest.fn(o => { ui.toasts.push(o.title) }),
    // One loading toast at a time, as in WeChat: showing replaces it.
    showLoading: jest.fn(() => { ui.loading = 1 }),
    hideLoading: jest.fn(() => { ui.loading = 0 }),
    showModal: jest.fn(o => {
      ui.modals.push({ title: o.title, content: o.content, showCancel: o.showCancel !== false })
      const confirm = modalAnswers.length ? modalAnswers.shift() : true
      later(() => o.success && o.success({ confirm, cancel: !confirm }))
    }),
    showActionSheet: jest.fn(o => {
      ui.sheets.push(o.itemList.slice())
      const index = sheetAnswers.length ? sheetAnswers.shift() : -1
      later(() => {
        if (index < 0) o.fail && o.fail({ errMsg: 'showActionSheet:fail cancel' })
        else o.success && o.success({ tapIndex: index })
      })
    }),

    navigateTo: jest.fn(),
    redirectTo: jest.fn(),
    switchTab: jest.fn(),
    navigateBack: jest.fn(),
    reLaunch: jest.fn(),
    setNavigationBarTitle: jest.fn(),
    stopPullDownRefresh: jest.fn(),
  }

  return {
    wx,
    route,
    requests,
    unmatched,
    storage,
    ui,
    // Queue answers for the next wx.showModal (true = confirm) and
    // wx.showActionSheet (index by text, or -1 to dismiss) calls.
    answerModal(...answers) { modalAnswers.push(...answers) },
    answerSheet(...answers) { sheetAnswers.push(...answers) },
    // The requests sent to one method + path.
    sent(method, path) { return requests.filter(r => r.method === method && r.path === path) },
    lastToast() { return ui.toasts[ui.toasts.length - 1] },
    navigatedTo() { return wx.navigateTo.mock.calls.map(c => c[0].url) },
  }
}

module.exports = { createWx, parseUrl }
