const { request, api, errorMessage } = require('../utils/request')
const config = require('../config')
const auth = require('../utils/auth')
const { flush } = require('./helpers/sim')

describe('utils/request', () => {
  test('uses the default API base, or the developer override from storage', async () => {
    mock.route('GET', '/ping', { ok: 1 })
    await api.get('/ping')
    expect(mock.requests[0].url).toBe(config.DEFAULT_API_BASE + '/ping')
    expect(config.DEFAULT_API_BASE).toBe('http://127.0.0.1:8080/api/mp/v1')

    wx.setStorageSync('apiBase', 'http://127.0.0.1:9999/api/mp/v1/')
    wx.request.mockImplementationOnce(o => setTimeout(() => o.success({ statusCode: 200, data: { ok: 2 } }), 0))
    await expect(api.get('/ping')).resolves.toEqual({ ok: 2 })
    expect(wx.request.mock.calls[1][0].url).toBe('http://127.0.0.1:9999/api/mp/v1/ping')
  })

  test('sends JSON with the bearer token and resolves the parsed body', async () => {
    auth.setSession('tok-1', { name: '张经理' })
    mock.route('POST', '/instruments/batch', req => ({ status: 200, data: { done: req.data.ids.length, failed: [] } }))
    const res = await api.post('/instruments/batch', { action: 'stop', ids: ['a', 'b'] })
    expect(res).toEqual({ done: 2, failed: [] })
    const sent = mock.requests[0]
    expect(sent.method).toBe('POST')
    expect(sent.header.Authorization).toBe('Bearer tok-1')
    expect(sent.header['Content-Type']).toBe('application/json')
    expect(JSON.parse(sent.rawData)).toEqual({ action: 'stop', ids: ['a', 'b'] })
  })

  test('builds the query string and leaves out empty values', async () => {
    mock.route('GET', '/instruments', { items: [], total: 0 })
    await api.get('/instruments', { view: 'all', name: '电子 秤', page: 2, tag: '', region: undefined })
    expect(mock.requests[0].url).toBe(config.DEFAULT_API_BASE + '/instruments?view=all&name=%E7%94%B5%E5%AD%90%20%E7%A7%A4&page=2')
    expect(mock.requests[0].query).toEqual({ view: 'all', name: '电子 秤', page: '2' })
  })

  test('parses a JSON body that arrives as a string', async () => {
    wx.request.mockImplementationOnce(o => setTimeout(() => o.success({ statusCode: 200, data: '{"ok":true}' }), 0))
    await expect(api.get('/x')).resolves.toEqual({ ok: true })
  })

  test('an API error shows the server message as a toast and rejects with code and status', async () => {
    mock.route('POST', '/instruments', { status: 409, data: { code: 'CONFLICT', message: '已存在相同的仪器' } })
    const err = await api.post('/instruments', {}).catch(e => e)
    expect(err.name).toBe('ApiError')
    expect(err.status).toBe(409)
    expect(err.code).toBe('CONFLICT')
    expect(mock.ui.toasts).toEqual(['已存在相同的仪器'])
  })

  test('a form error shows the first field message', async () => {
    mock.route('POST', '/instruments', {
      status: 422,
      data: { code: 'INVALID', message: '请检查填写的内容', fields: [{ field: 'name', message: '器具名称不能为空' }, { field: 'model', message: '型号规格不能为空' }] },
    })
    const err = await api.post('/instruments', {}).catch(e => e)
    expect(mock.ui.toasts).toEqual(['器具名称不能为空'])
    expect(errorMessage(err)).toBe('器具名称不能为空')
  })

  test('a network failure says so in Chinese', async () => {
    mock.route('GET', '/me', { network: true })
    const err = await api.get('/me').catch(e => e)
    expect(err.code).toBe('NETWORK')
    expect(mock.ui.toasts).toEqual(['网络异常，请稍后再试'])
  })

  test('silent calls leave the message to the caller', async () => {
    mock.route('POST', '/login/wechat', { status: 404, data: { code: 'NOT_BOUND', message: '微信未绑定' } })
    const err = await api.post('/login/wechat', { code: 'c' }, { auth: false, silent: true }).catch(e => e)
    expect(err.code).toBe('NOT_BOUND')
    expect(mock.ui.toasts).toEqual([])
  })

  test('401 on an authenticated call clears the session and goes to the 我 page', async () => {
    auth.setSession('expired', { name: 'x' })
    mock.route('GET', '/me', { status: 401, data: { code: 'UNAUTHENTICATED', message: '登录已过期，请重新登录' } })
    const err = await api.get('/me').catch(e => e)
    expect(err.status).toBe(401)
    expect(auth.getToken()).toBe('')
    expect(auth.getUser()).toBe(null)
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/me/index' })
    expect(mock.ui.toasts).toEqual(['登录已过期，请重新登录'])
  })

  test('several 401s at once bounce only once', async () => {
    auth.setSession('expired', null)
    mock.route('GET', '/me', { status: 401, data: { code: 'UNAUTHENTICATED', message: '请先登录' } })
    await Promise.all([api.get('/me').catch(() => {}), api.get('/me').catch(() => {}), api.get('/me').catch(() => {})])
    expect(wx.switchTab).toHaveBeenCalledTimes(1)
  })

  test('401 of a login call is a wrong password, not a lost session', async () => {
    auth.setSession('still-valid', null)
    mock.route('POST', '/login/password', { status: 401, data: { code: 'UNAUTHENTICATED', message: '账号或密码错误' } })
    await request({ url: '/login/password', method: 'POST', data: {}, auth: false }).catch(() => {})
    expect(wx.switchTab).not.toHaveBeenCalled()
    expect(auth.getToken()).toBe('still-valid')
    expect(mock.requests[0].header.Authorization).toBeUndefined()
    expect(mock.ui.toasts).toEqual(['账号或密码错误'])
  })

  test('loading text shows while the call runs and is hidden after, on success and failure', async () => {
    mock.route('POST', '/a', { ok: 1 })
    mock.route('POST', '/b', { status: 500, data: { code: 'INTERNAL', message: '服务器内部错误' } })
    const p = api.post('/a', {}, { loading: '处理中' })
    expect(wx.showLoading).toHaveBeenCalledWith({ title: '处理中', mask: true })
    expect(mock.ui.loading).toBe(1)
    await p
    expect(mock.ui.loading).toBe(0)
    await api.post('/b', {}, { loading: '处理中' }).catch(() => {})
    expect(mock.ui.loading).toBe(0)
    // The toast comes after hideLoading, which would otherwise hide it.
    const order = wx.hideLoading.mock.invocationCallOrder[1]
    expect(wx.showToast.mock.invocationCallOrder[0]).toBeGreaterThan(order)
    await flush()
  })

  test('an error body without a message still explains itself', async () => {
    mock.route('GET', '/x', { status: 502, data: '<html>bad gateway</html>' })
    const err = await api.get('/x').catch(e => e)
    expect(err.message).toBe('请求失败（502）')
    expect(mock.ui.toasts).toEqual(['请求失败（502）'])
  })
})
